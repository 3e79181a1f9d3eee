"""Facial expression models: face-api.js expression net (ONNX) and fer's mini-Xception (TFLite).

Both are zero-shot 7-class FER models. Their outputs are re-ordered into our label order
(unlock_feeling.labels.LABELS) and, by default, averaged (an ensemble).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from unlock_feeling.labels import LABELS, normalize_label
from unlock_feeling.models.litert import load_interpreter
from unlock_feeling.models.registry import model_path, spec

_FACEAPI_MEAN = np.array([122.782, 117.001, 104.298], dtype=np.float32)


def _reorder(model_labels: tuple[str, ...]) -> np.ndarray:
    """Column permutation that maps a model's label order onto LABELS."""
    index = [model_labels.index(next(m for m in model_labels if normalize_label(m) == ours)) for ours in LABELS]
    return np.array(index)


def tf_resize_bilinear(image: np.ndarray, size: int) -> np.ndarray:
    """TensorFlow's legacy bilinear resize (no align-corners, no half-pixel centres), as tfjs uses."""
    h, w = image.shape[:2]
    ys = np.arange(size) * (h / size)
    xs = np.arange(size) * (w / size)
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    img = image.astype(np.float32)
    if img.ndim == 2:
        img = img[:, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


@dataclass
class FaceApiExpression:
    """face-api.js FaceExpressionNet: RGB crop → 7 probabilities (in LABELS order)."""

    threads: int = 2
    name: str = "faceapi-expression"

    @cached_property
    def _session(self):  # type: ignore[no-untyped-def]
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads
        opts.inter_op_num_threads = 1
        return ort.InferenceSession(str(model_path(self.name)), opts, providers=["CPUExecutionProvider"])

    @cached_property
    def _order(self) -> np.ndarray:
        return _reorder(spec(self.name).labels)

    @staticmethod
    def preprocess(crop: np.ndarray) -> np.ndarray:
        h, w = crop.shape[:2]
        side = max(h, w)
        square = np.zeros((side, side, 3), dtype=np.uint8)
        oy, ox = (side - h) // 2, (side - w) // 2
        square[oy:oy + h, ox:ox + w] = crop
        x = (tf_resize_bilinear(square, 112) - _FACEAPI_MEAN) / 255.0
        return x.transpose(2, 0, 1).astype(np.float32)

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        return self.run(crops)[0]

    def run(self, crops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities in LABELS order, 256-d embeddings) for a batch of crops."""
        if not crops:
            return np.zeros((0, len(LABELS)), np.float32), np.zeros((0, 256), np.float32)
        batch = np.stack([self.preprocess(c) for c in crops])
        probs, embedding = self._session.run(["probabilities", "embedding"], {"input": batch})
        return probs[:, self._order], embedding


@dataclass
class FerExpression:
    """fer's mini-Xception (FER2013), int8 TFLite: gray 64x64 crop → 7 probabilities (LABELS order)."""

    threads: int = 2
    name: str = "fer-mini-xception"

    @cached_property
    def _interpreter(self):  # type: ignore[no-untyped-def]
        return load_interpreter(model_path(self.name), self.threads)

    @cached_property
    def _order(self) -> np.ndarray:
        return _reorder(spec(self.name).labels)

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        from unlock_feeling.media.image import gray, resize

        it = self._interpreter
        inp, out = it.get_input_details()[0], it.get_output_details()[0]
        rows = []
        for crop in crops:
            x = (resize(gray(crop), (64, 64)).astype(np.float32) / 255.0 - 0.5) * 2.0
            it.set_tensor(inp["index"], x[None, :, :, None])
            it.invoke()
            rows.append(it.get_tensor(out["index"])[0].copy())
        probs = np.array(rows, dtype=np.float32).reshape(-1, 7)
        return probs[:, self._order]
