"""Face detection with MediaPipe BlazeFace (TFLite, run by ai-edge-litert).

The short-range model (128x128 input, faces close to the camera) and the full-range model
(192x192, smaller and distant faces) both run; their detections are merged. Anchors and box decoding follow MediaPipe's
face_detection_*_cpu graphs (SSD anchors, fixed anchor size, scale = input size).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from unlock_feeling.models.litert import load_interpreter
from unlock_feeling.models.registry import model_path


@dataclass(frozen=True)
class FaceBox:
    x0: float
    y0: float
    x1: float
    y1: float
    score: float

    @property
    def area(self) -> float:
        return max(0.0, self.x1 - self.x0) * max(0.0, self.y1 - self.y0)


@dataclass(frozen=True)
class _Variant:
    model: str
    size: int
    strides: tuple[int, ...]
    anchors_per_cell: tuple[int, ...]


SHORT_RANGE = _Variant("blazeface-short-range", 128, (8, 16), (2, 6))
FULL_RANGE = _Variant("blazeface-full-range", 192, (4,), (1,))


def _anchors(v: _Variant) -> np.ndarray:
    rows = []
    for stride, per_cell in zip(v.strides, v.anchors_per_cell):
        n = v.size // stride
        ys, xs = np.meshgrid((np.arange(n) + 0.5) / n, (np.arange(n) + 0.5) / n, indexing="ij")
        centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
        rows.append(np.repeat(centres, per_cell, axis=0))
    return np.concatenate(rows).astype(np.float32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float = 0.3) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's weighted non-maximum suppression: overlapping boxes are averaged by score."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    out: list[tuple[np.ndarray, float]] = []
    remaining = np.ones(len(boxes), dtype=bool)
    for i in range(len(boxes)):
        if not remaining[i]:
            continue
        overlap = remaining & (_iou(boxes[i], boxes) > iou_threshold)
        w = scores[overlap]
        out.append(((boxes[overlap] * w[:, None]).sum(0) / w.sum(), float(scores[i])))
        remaining &= ~overlap
    return out


@dataclass
class _Runner:
    variant: _Variant
    threads: int

    @cached_property
    def interpreter(self):  # type: ignore[no-untyped-def]
        return load_interpreter(model_path(self.variant.model), self.threads)

    @cached_property
    def anchors(self) -> np.ndarray:
        return _anchors(self.variant)

    def __call__(self, square: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        it = self.interpreter
        inp = it.get_input_details()[0]
        it.set_tensor(inp["index"], square[None].astype(np.float32))
        it.invoke()
        outs = {d["shape"][-1]: it.get_tensor(d["index"])[0] for d in it.get_output_details()}
        raw, logits = outs[16], outs[1][:, 0]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits.astype(np.float64), -80, 80)))
        s = float(self.variant.size)
        cx = raw[:, 0] / s + self.anchors[:, 0]
        cy = raw[:, 1] / s + self.anchors[:, 1]
        w = raw[:, 2] / s
        h = raw[:, 3] / s
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
        return boxes, scores


@dataclass
class FaceDetector:
    """Detect faces in RGB uint8 images; returns boxes in pixels, largest first."""

    min_score: float = 0.5
    threads: int = 2
    _runners: dict[str, _Runner] = field(default_factory=dict, repr=False)

    def _runner(self, v: _Variant) -> _Runner:
        if v.model not in self._runners:
            self._runners[v.model] = _Runner(v, self.threads)
        return self._runners[v.model]

    def load(self) -> None:
        """Load both models now (otherwise they load on first use)."""
        for v in (SHORT_RANGE, FULL_RANGE):
            self._runner(v)

    def detect(self, image: np.ndarray) -> list[FaceBox]:
        """Both models run; their boxes are merged (a face found by both counts once)."""
        found = self._detect(image, SHORT_RANGE) + self._detect(image, FULL_RANGE)
        if not found:
            return []
        boxes = np.array([[f.x0, f.y0, f.x1, f.y1] for f in found])
        scores = np.array([f.score for f in found])
        merged = [FaceBox(float(b[0]), float(b[1]), float(b[2]), float(b[3]), s) for b, s in weighted_nms(boxes, scores, 0.3)]
        return sorted(merged, key=lambda f: -f.area)

    def _detect(self, image: np.ndarray, v: _Variant) -> list[FaceBox]:
        from unlock_feeling.media.image import resize

        h, w = image.shape[:2]
        side = max(h, w)
        # letterbox: centre the image on a square canvas, as MediaPipe's FIT scale mode does
        canvas = np.zeros((side, side, 3), dtype=np.uint8)
        oy, ox = (side - h) // 2, (side - w) // 2
        canvas[oy:oy + h, ox:ox + w] = image
        square = resize(canvas, (v.size, v.size))
        boxes, scores = self._runner(v)(square.astype(np.float32) / 127.5 - 1.0)
        keep = scores >= self.min_score
        faces = []
        for box, score in weighted_nms(boxes[keep], scores[keep]):
            x0, y0, x1, y1 = box * side - np.array([ox, oy, ox, oy])
            x0, y0 = max(0.0, x0), max(0.0, y0)
            x1, y1 = min(float(w), x1), min(float(h), y1)
            if x1 - x0 >= 8 and y1 - y0 >= 8:
                faces.append(FaceBox(float(x0), float(y0), float(x1), float(y1), score))
        return sorted(faces, key=lambda f: -f.area)
