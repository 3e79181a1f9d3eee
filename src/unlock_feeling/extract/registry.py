"""Registered feature extractors: one per modality, each with a frozen config and a version.

A stored feature is keyed by (content sha256, span, extractor name, version, config hash), so
changing one extractor's config or version recomputes that extractor only. `analyze`, `extract`
and `train` all go through these classes: the features a model is trained on are the features it
sees at analysis time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from unlock_feeling.extract.face import ExpressionModel, FaceAnalyzer, FaceConfig, FrameFace, PooledFace, pool
from unlock_feeling.extract.text import TextEmotionModel
from unlock_feeling.extract.voice import PROSODY_NAMES, VoiceConfig, voice_features
from unlock_feeling.labels import LABELS
from unlock_feeling.store.keys import FeatureKey, config_hash, sha256_bytes

FACE_EMBEDDING = 256


@dataclass(frozen=True)
class TextFeatureConfig:
    model: str = "text-emotion-e5"
    """A registered text-emotion model or the path of one trained by tools/train_text_model.py."""
    threads: int = 2


@dataclass(frozen=True)
class FaceFeatureConfig:
    expression: ExpressionModel = "ensemble"
    fps: float = 5.0
    max_frames: int = 60
    margin: float = 0.2
    min_score: float = 0.5
    max_side: int = 640
    threads: int = 2


class _Extractor:
    """What every registered extractor has: a name, a version and a config that form its keys."""

    name: ClassVar[str]
    version: ClassVar[str]
    config: Any

    def signature(self) -> list[str]:
        return [self.version, config_hash(self.config)]

    def key(self, content: str, start: float, end: float) -> FeatureKey:
        return FeatureKey(content, round(start, 3), round(end, 3), self.name, self.version, config_hash(self.config))


@dataclass
class TextExtractor(_Extractor):
    """The adapted multilingual-e5-small's mean-pooled sentence state (384-d); its head gives the
    `text_*` probabilities. Keyed by the text's sha256 and the model file's sha256."""

    config: TextFeatureConfig = field(default_factory=TextFeatureConfig)
    name: ClassVar[str] = "text-emotion-e5"
    version: ClassVar[str] = "2"
    modality: ClassVar[str] = "text"
    dim: ClassVar[int] = 384

    def signature(self) -> list[str]:
        return [self.version, config_hash({"model": self.config.model, "sha256": self.model_sha256})]

    def key(self, content: str, start: float, end: float) -> FeatureKey:
        return FeatureKey(content, round(start, 3), round(end, 3), self.name, *self.signature())

    def text_key(self, text: str) -> FeatureKey:
        return self.key(sha256_bytes(text.encode("utf-8")), 0.0, 0.0)

    @cached_property
    def model_path(self) -> Path:
        from unlock_feeling.models.registry import MODELS, model_path

        if any(m.name == self.config.model for m in MODELS):
            return model_path(self.config.model)
        path = Path(self.config.model)
        if not path.is_file():
            from unlock_feeling.errors import UserInputError

            raise UserInputError(f"{path}: no such text model")
        return path

    @cached_property
    def model_sha256(self) -> str:
        from unlock_feeling.models.registry import MODELS
        from unlock_feeling.store.keys import sha256_path

        known = {m.name: m.sha256 for m in MODELS}
        return known.get(self.config.model) or sha256_path(self.model_path)

    @cached_property
    def model(self) -> TextEmotionModel:
        return TextEmotionModel.load(self.model_path)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed(list(texts))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return self.model.probabilities(features)


@dataclass
class VoiceExtractor(_Extractor):
    """Prosodic and MFCC statistics of a span (see extract/voice.py), 33-d."""

    config: VoiceConfig = field(default_factory=VoiceConfig)
    name: ClassVar[str] = "voice-prosody"
    version: ClassVar[str] = "1"
    modality: ClassVar[str] = "voice"
    dim: ClassVar[int] = len(PROSODY_NAMES) + 2 * 13

    def __call__(self, clip: np.ndarray, text: str = "") -> tuple[np.ndarray, dict[str, float]]:
        f = voice_features(clip, text, self.config)
        return f.vector, f.prosody


@dataclass
class FaceExtractor(_Extractor):
    """Largest face per sampled frame → expression probabilities and face-api embedding, pooled.

    Vector layout: 7 probabilities (LABELS order) | 256-d embedding | frames with a face |
    most faces in one frame. Empty when no frame had a face."""

    config: FaceFeatureConfig = field(default_factory=FaceFeatureConfig)
    name: ClassVar[str] = "face-expression"
    version: ClassVar[str] = "1"
    modality: ClassVar[str] = "face"
    dim: ClassVar[int] = len(LABELS) + FACE_EMBEDDING + 2

    @cached_property
    def analyzer(self) -> FaceAnalyzer:
        c = self.config
        return FaceAnalyzer(FaceConfig(model=c.expression, min_score=c.min_score, margin=c.margin, threads=c.threads))

    def sample_times(self, start: float, end: float) -> list[float]:
        """Frame times inside [start, end]: `fps` per second, evenly spread, at most `max_frames`."""
        duration = max(end - start, 0.0)
        n = int(min(self.config.max_frames, max(1, np.floor(duration * self.config.fps))))
        step = duration / n
        return [round(start + (k + 0.5) * step, 3) for k in range(n)]

    def frames(self, timed_images: Sequence[tuple[float, np.ndarray]]) -> list[FrameFace]:
        return self.analyzer.frames(timed_images)

    @staticmethod
    def to_vector(pooled: PooledFace) -> np.ndarray:
        if pooled.probabilities is None or pooled.embedding is None:
            return np.zeros(0, np.float32)
        return np.concatenate([pooled.probabilities, pooled.embedding,
                               np.array([pooled.frames, pooled.max_faces], np.float32)]).astype(np.float32)

    @staticmethod
    def from_vector(vector: np.ndarray) -> PooledFace:
        if vector.size == 0:
            return PooledFace(None, None, 0, 0)
        k = len(LABELS)
        return PooledFace(vector[:k], vector[k:k + FACE_EMBEDDING], int(vector[-2]), int(vector[-1]))

    def __call__(self, frames: Sequence[FrameFace]) -> np.ndarray:
        return self.to_vector(pool(frames))

    def describe(self, frames: Sequence[FrameFace]) -> tuple[np.ndarray, dict[str, Any]]:
        """The vector and, as stored metadata, where the face that counted most is
        (`face_time`, `face_box` as fractions of the frame): reports draw it without detecting again."""
        pooled = pool(frames)
        meta: dict[str, Any] = {}
        if pooled.best_box is not None and pooled.best_time is not None:
            meta = {"face_time": float(pooled.best_time), "face_box": [round(v, 4) for v in pooled.best_box]}
        return self.to_vector(pooled), meta

    def image(self, path: str | Path) -> tuple[np.ndarray, dict[str, Any]]:
        """The vector of a still image (empty when it has no face) and its metadata."""
        from unlock_feeling.media.decode import load_image

        return self.describe(self.frames([(0.0, load_image(path))]))


EXTRACTORS = {cls.name: cls for cls in (TextExtractor, VoiceExtractor, FaceExtractor)}
