"""Face stage: detect the largest face per frame, crop it, score its expression, pool over frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from unlock_feeling.extract.face_detect import FaceBox, FaceDetector
from unlock_feeling.extract.face_expression import FaceApiExpression, FerExpression
from unlock_feeling.config import ExpressionModel
from unlock_feeling.labels import LABELS

@dataclass(frozen=True)
class FaceFeatureConfig:
    """The face stage's settings (the one config of FaceExtractor and FaceAnalyzer)."""

    expression: ExpressionModel = "ensemble"
    fps: float = 5.0
    """Frames per second sampled within each utterance."""
    max_frames: int = 60
    """At most this many frames per utterance (evenly spread)."""
    margin: float = 0.2
    """Extra border around the detected box, as a fraction of its size, on each side."""
    min_score: float = 0.5
    max_side: int = 640
    """Frames are downscaled to this longest side before face detection."""


@dataclass(frozen=True)
class FrameFace:
    """One frame's largest face."""

    time: float
    box: FaceBox
    probabilities: np.ndarray
    embedding: np.ndarray
    faces: int
    size: tuple[int, int] = (0, 0)
    """(width, height) of the frame the box is in."""

    def relative_box(self) -> tuple[float, float, float, float] | None:
        """The box as fractions of the frame (x0, y0, x1, y1), independent of any downscaling."""
        w, h = self.size
        if not w or not h:
            return None
        b = self.box
        return (max(0.0, b.x0 / w), max(0.0, b.y0 / h), min(1.0, b.x1 / w), min(1.0, b.y1 / h))


@dataclass(frozen=True)
class PooledFace:
    probabilities: np.ndarray | None
    """Pooled over the frames that had a face; None when no frame did."""
    embedding: np.ndarray | None
    frames: int
    """Frames with a usable face."""
    max_faces: int
    best_box: tuple[float, float, float, float] | None = None
    """The face that counted most, as fractions of its frame (x0, y0, x1, y1)."""
    best_time: float | None = None


def crop(image: np.ndarray, box: FaceBox, margin: float) -> np.ndarray:
    h, w = image.shape[:2]
    bw, bh = box.x1 - box.x0, box.y1 - box.y0
    x0 = int(max(0, box.x0 - margin * bw))
    y0 = int(max(0, box.y0 - margin * bh))
    x1 = int(min(w, box.x1 + margin * bw))
    y1 = int(min(h, box.y1 + margin * bh))
    return image[y0:y1, x0:x1]


def pool(frames: Sequence[FrameFace]) -> PooledFace:
    """Confidence-weighted mean over frames: a frame counts by its detection score times how far
    its expression is from uniform, so a few clear frames (a brief smile) are not washed out by
    many ambiguous ones."""
    if not frames:
        return PooledFace(None, None, 0, 0)
    probs = np.stack([f.probabilities for f in frames])
    k = len(LABELS)
    certainty = (probs.max(axis=1) - 1.0 / k) / (1.0 - 1.0 / k)
    weights = np.array([f.box.score for f in frames]) * (0.05 + certainty)
    weights = weights / weights.sum()
    pooled = (weights[:, None] * probs).sum(axis=0)
    embedding = (weights[:, None] * np.stack([f.embedding for f in frames])).sum(axis=0)
    best = frames[int(np.argmax(weights))]
    return PooledFace((pooled / pooled.sum()).astype(np.float32), embedding.astype(np.float32),
                      len(frames), max(f.faces for f in frames), best.relative_box(), best.time)


@dataclass
class FaceAnalyzer:
    config: FaceFeatureConfig = FaceFeatureConfig()
    threads: int = 2
    """CPU threads per model (run-time only: never part of a feature's key)."""

    @cached_property
    def detector(self) -> FaceDetector:
        return FaceDetector(min_score=self.config.min_score, threads=self.threads)

    @cached_property
    def faceapi(self) -> FaceApiExpression:
        return FaceApiExpression(self.threads)

    @cached_property
    def fer(self) -> FerExpression:
        return FerExpression(self.threads)

    def load(self) -> None:
        """Load every model this configuration uses now (otherwise they load on first use)."""
        self.detector.load()
        _ = self.faceapi._session
        if self.config.expression in ("fer", "ensemble"):
            _ = self.fer._interpreter

    def frames(self, timed_images: Sequence[tuple[float, np.ndarray]]) -> list[FrameFace]:
        """Detect and score the largest face of each (time, RGB image)."""
        found: list[tuple[float, FaceBox, np.ndarray, int]] = []
        for t, image in timed_images:
            faces = self.detector.detect(image)
            if faces:
                found.append((t, faces[0], crop(image, faces[0], self.config.margin), len(faces)))
        if not found:
            return []
        crops = [c for _, _, c, _ in found]
        probs, emb = self.faceapi.run(crops)
        if self.config.expression == "fer":
            probs = self.fer(crops)
        elif self.config.expression == "ensemble":
            probs = (probs + self.fer(crops)) / 2.0
        sizes = {t: (image.shape[1], image.shape[0]) for t, image in timed_images}
        return [FrameFace(t, box, p, e, n, sizes[t]) for (t, box, _, n), p, e in zip(found, probs, emb)]
