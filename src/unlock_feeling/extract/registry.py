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
from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeVar

import numpy as np

from unlock_feeling.extract.face import FaceAnalyzer, FaceFeatureConfig, FrameFace, PooledFace, pool
from unlock_feeling.extract.text import TextEmotionModel
from unlock_feeling.extract.voice import PROSODY_NAMES, VoiceConfig, voice_features
from unlock_feeling.labels import LABELS
from unlock_feeling.store.keys import FeatureKey, config_hash, sha256_bytes, source_hash

FACE_EMBEDDING = 256


@dataclass(frozen=True)
class TextFeatureConfig:
    model: str = "text-emotion-e5"
    """The bundled text-emotion model, or a file written by `unlock-feeling train-text`."""


class FeatureExtractor(ABC):
    """What every registered extractor has (lhotse's FeatureExtractor is the model): a name, the
    modality it serves, a version, one config dataclass (`config_type`), its vector size and
    `extract`. Its keys change with the config (run-time-only settings such as `threads` left
    out), with the sha256 of every model file it uses, and with its code (`sources`)."""

    name: ClassVar[str]
    modality: ClassVar[str]
    version: ClassVar[str]
    config_type: ClassVar[type]
    sources: ClassVar[tuple[str, ...]]
    """Modules whose code defines the features: a change to any of them changes the keys."""
    config: Any
    threads: int
    """CPU threads (run-time only: never part of a key)."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of the feature vector (0 for an empty one: e.g. no face found)."""

    @abstractmethod
    def extract(self, *args: Any, **kwargs: Any) -> Any:
        """Compute features (inputs and outputs differ by modality; see each subclass)."""

    def models(self) -> dict[str, str]:
        """Model files used → their sha256."""
        return {}

    @cached_property
    def _signature(self) -> tuple[str, str]:
        return self.version, config_hash({"config": self.config, "models": self.models()})

    def signature(self) -> list[str]:
        """[version, hash of config + model sha256s]: what a trained fusion model depends on
        (computed once per extractor: `key` runs for every span and every sample)."""
        return list(self._signature)

    def key(self, content: str, start: float, end: float) -> FeatureKey:
        version, settings = self._signature
        return FeatureKey(content, round(start, 3), round(end, 3), self.name,
                          f"{version}+{source_hash(self.sources)}", settings)


REGISTRY: dict[str, type[FeatureExtractor]] = {}
"""Every registered extractor class by name."""

E = TypeVar("E", bound=type[FeatureExtractor])


def register_extractor(cls: E) -> E:
    """Class decorator: make an extractor known by its name (and its modality)."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"two extractors are named {cls.name!r}")
    REGISTRY[cls.name] = cls
    return cls


def extractor_for(modality: str) -> type[FeatureExtractor]:
    """The registered extractor class of a modality (text, face, voice)."""
    found = [cls for cls in REGISTRY.values() if cls.modality == modality]
    if len(found) != 1:
        raise ValueError(f"{len(found)} extractors registered for {modality!r}")
    return found[0]


@register_extractor
@dataclass
class TextExtractor(FeatureExtractor):
    """The adapted multilingual-e5-small's mean-pooled sentence state (384-d); its head gives the
    `text_*` probabilities. Keyed by the text's sha256 and the model file's sha256."""

    config: TextFeatureConfig = field(default_factory=TextFeatureConfig)
    threads: int = 2
    name: ClassVar[str] = "text-emotion-e5"
    version: ClassVar[str] = "2"
    modality: ClassVar[str] = "text"
    config_type: ClassVar[type] = TextFeatureConfig
    sources: ClassVar[tuple[str, ...]] = ("unlock_feeling.extract.text", "unlock_feeling.extract.e5")

    @property
    def dim(self) -> int:
        return 384

    def models(self) -> dict[str, str]:
        from unlock_feeling.models.registry import spec

        return {"multilingual-e5-small-q4": spec("multilingual-e5-small-q4").sha256, "text": self.model_sha256}

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

    def extract(self, texts: Sequence[str]) -> np.ndarray:
        """Sentences → (N, 384) mean-pooled states of the adapted encoder."""
        return self.model.embed(list(texts))

    __call__ = extract

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return self.model.probabilities(features)


@register_extractor
@dataclass
class VoiceExtractor(FeatureExtractor):
    """Prosodic and MFCC statistics of a span (see extract/voice.py), 33-d."""

    config: VoiceConfig = field(default_factory=VoiceConfig)
    threads: int = 1
    name: ClassVar[str] = "voice-prosody"
    version: ClassVar[str] = "1"
    modality: ClassVar[str] = "voice"
    config_type: ClassVar[type] = VoiceConfig
    sources: ClassVar[tuple[str, ...]] = ("unlock_feeling.extract.voice", "unlock_feeling.media.spectral")

    @property
    def dim(self) -> int:
        return len(PROSODY_NAMES) + 2 * self.config.n_mfcc

    def extract(self, clip: np.ndarray, text: str = "") -> tuple[np.ndarray, dict[str, float]]:
        """16 kHz samples (+ their transcript, for the speaking rate) → (vector, prosody by name)."""
        f = voice_features(clip, text, self.config)
        return f.vector, f.prosody

    __call__ = extract


@register_extractor
@dataclass
class FaceExtractor(FeatureExtractor):
    """Largest face per sampled frame → expression probabilities and face-api embedding, pooled.

    Vector layout: 7 probabilities (LABELS order) | 256-d embedding | frames with a face |
    most faces in one frame. Empty when no frame had a face."""

    config: FaceFeatureConfig = field(default_factory=FaceFeatureConfig)
    threads: int = 2
    name: ClassVar[str] = "face-expression"
    version: ClassVar[str] = "1"
    modality: ClassVar[str] = "face"
    config_type: ClassVar[type] = FaceFeatureConfig
    sources: ClassVar[tuple[str, ...]] = ("unlock_feeling.extract.face", "unlock_feeling.extract.face_detect",
                                          "unlock_feeling.extract.face_expression")

    @property
    def dim(self) -> int:
        return len(LABELS) + FACE_EMBEDDING + 2

    def models(self) -> dict[str, str]:
        from unlock_feeling.models.registry import spec

        names = ["blazeface-short-range", "faceapi-expression"]  # face-api also gives the embedding
        names += ["fer-mini-xception"] if self.config.expression in ("fer", "ensemble") else []
        return {n: spec(n).sha256 for n in names}

    @cached_property
    def analyzer(self) -> FaceAnalyzer:
        return FaceAnalyzer(self.config, self.threads)

    def grid(self, start: float, end: float) -> list[float]:
        """The file's frame grid inside [start, end): the centres of 1/fps cells. One grid for the
        whole file, so that spans share their frames (a sentence's frames are a subset of its
        speech span's, which is what lets faces be computed while speech is still being
        recognised). A span shorter than a cell gets the cell holding its middle."""
        fps = self.config.fps
        first, last = int(np.ceil(start * fps - 0.5)), int(np.ceil(end * fps - 0.5)) - 1
        if last < first:
            first = last = int(np.floor((start + end) / 2 * fps))
        return [round((k + 0.5) / fps, 3) for k in range(max(first, 0), max(last, 0) + 1)]

    def sample_times(self, start: float, end: float) -> list[float]:
        """A span's frame times: its grid points, evenly thinned to at most `max_frames`."""
        times = self.grid(start, end)
        if len(times) > self.config.max_frames:
            keep = np.linspace(0, len(times) - 1, self.config.max_frames).round().astype(int)
            times = [times[i] for i in keep]
        return times

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

    def extract(self, frames: Sequence[FrameFace]) -> np.ndarray:
        """Scored frames of a span (see `frames`) → the pooled vector (empty without a face)."""
        return self.to_vector(pool(frames))

    __call__ = extract

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


