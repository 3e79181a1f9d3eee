"""The trained fusion model at analysis time: a checkpoint (`model.safetensors` + `config.json`,
written by `unlock-feeling train`) run in numpy (no torch, no pickle). The PyTorch network it
mirrors is `train/model.py`; `tests/test_labels_and_fusion.py` checks that both give the same
probabilities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unlock_feeling.errors import UserInputError
from unlock_feeling.labels import LABELS, MODALITIES
from unlock_feeling.models.ops import gelu

LEGACY_ORDER = ("text", "voice", "face")
"""The fusion input order of checkpoints that do not record theirs."""


def _gelu(x: np.ndarray) -> np.ndarray:
    return gelu(x)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class FusionModel:
    weights: dict[str, np.ndarray]
    config: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> "FusionModel":
        from safetensors.numpy import load_file

        path = Path(path)
        cfg_path, weights_path = path / "config.json", path / "model.safetensors"
        if not cfg_path.exists() or not weights_path.exists():
            raise UserInputError(f"{path}: not a trained model (expected config.json and model.safetensors)")
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
        if config.get("labels") != list(LABELS):
            raise UserInputError(f"{path}: the model's label order differs from {', '.join(LABELS)}")
        return cls(load_file(str(weights_path)), config)

    def check_extractors(self, *extractors: Any) -> None:
        trained = json.loads(self.config["extractors"])
        for ex in extractors:
            want = trained.get(ex.name)
            have = ex.signature()
            if want is not None and list(want) != have:
                raise UserInputError(f"the model was trained with other {ex.name} settings "
                                     f"(version/config {want[0]}/{want[1]}, now {have[0]}/{have[1]})")

    def forward(self, x: dict[str, np.ndarray], mask: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Batch inference: x[m] (N, dim), mask[m] (N,) → fused probs (N,7), per-modality probs."""
        w = self.weights
        order = tuple(self.config.get("modalities", LEGACY_ORDER))
        encoded, per = [], {}
        for m in order:
            z = (x[m] - w[f"{m}_mean"]) / w[f"{m}_std"]
            h = _gelu(z @ w[f"enc.{m}.0.weight"].T + w[f"enc.{m}.0.bias"]) * mask[m][:, None]
            per[m] = _softmax(h @ w[f"head.{m}.weight"].T + w[f"head.{m}.bias"])
            encoded.append(h)
        flags = np.stack([mask[m] for m in order], axis=1).astype(np.float32)
        hidden = _gelu(np.concatenate(encoded + [flags], axis=1) @ w["fuse.0.weight"].T + w["fuse.0.bias"])
        return _softmax(hidden @ w["fuse.3.weight"].T + w["fuse.3.bias"]), per

    def predict(self, text: np.ndarray | None, voice: np.ndarray | None, face: np.ndarray | None
                ) -> dict[str, np.ndarray | None]:
        """One utterance → {text, voice, face, fused} probabilities (None where absent)."""
        dims = self.config["dims"]
        given = {"text": text, "voice": voice, "face": face}
        present = {m: v is not None and np.asarray(v).size == dims[m] for m, v in given.items()}
        x = {m: (np.asarray(given[m], np.float32) if present[m] else np.zeros(dims[m], np.float32))[None]
             for m in MODALITIES}
        mask = {m: np.array([float(present[m])], np.float32) for m in MODALITIES}
        out: dict[str, np.ndarray | None] = {m: None for m in MODALITIES}
        out["fused"] = None
        if not any(present.values()):
            return out
        fused, per = self.forward(x, mask)
        for m in MODALITIES:
            if present[m]:
                out[m] = per[m][0]
        out["fused"] = fused[0]
        return out
