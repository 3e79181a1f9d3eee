"""Training: single-stage or staged (e.g. text+voice, then text+voice+face), with modality dropout,
class weighting, early stopping on validation macro-F1 and fixed seeds."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from unlock_feeling.datasets.base import SPLITS
from unlock_feeling.errors import UserInputError
from unlock_feeling.labels import LABELS, MODALITIES
from unlock_feeling.train.data import FeatureMatrix


@dataclass(frozen=True)
class TrainConfig:
    stages: tuple[tuple[str, ...], ...] = (("text", "voice"), ("text", "voice", "face"))
    epochs: int = 40
    batch_size: int = 256
    lr: float = 1e-3
    fine_tune_lr_factor: float = 0.3
    weight_decay: float = 1e-4
    hidden: int = 128
    dropout: float = 0.3
    modality_dropout: float = 0.3
    patience: int = 6
    seed: int = 0
    threads: int = 2


@dataclass
class StageResult:
    modalities: tuple[str, ...]
    train_samples: int
    val_samples: int
    epochs: int
    best_epoch: int
    val_macro_f1: float
    val_accuracy: float
    seconds: float


@dataclass
class TrainResult:
    stages: list[StageResult] = field(default_factory=list)


def parse_stages(spec: str) -> tuple[tuple[str, ...], ...]:
    """'text+voice,text+voice+face' → (('text','voice'), ('text','voice','face')); 'single' → all three."""
    if spec.strip() == "single":
        return (MODALITIES,)
    stages = []
    for part in spec.split(","):
        mods = tuple(m.strip() for m in part.split("+") if m.strip())
        bad = [m for m in mods if m not in MODALITIES]
        if bad or not mods:
            raise UserInputError(f"bad stage {part!r}: modalities are {', '.join(MODALITIES)}")
        stages.append(mods)
    return tuple(stages)


def _standardisation(matrix: FeatureMatrix, rows: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    stats = {}
    for m in MODALITIES:
        idx = rows[matrix.present[m][rows]]
        total = np.zeros(matrix.dims[m]), np.zeros(matrix.dims[m])
        n = 0
        for i in range(0, len(idx), 16384):  # streamed in blocks: memory does not grow with the rows
            block = np.asarray(matrix.features[m][np.sort(idx[i:i + 16384])], np.float64)
            total = total[0] + block.sum(0), total[1] + (block ** 2).sum(0)
            n += len(block)
        mean = total[0] / max(n, 1)
        std = np.sqrt(np.maximum(total[1] / max(n, 1) - mean ** 2, 1e-8))
        stats[m] = (mean.astype(np.float32), np.maximum(std, 1e-3).astype(np.float32))
    return stats


def _batch(matrix: FeatureMatrix, idx: np.ndarray, allowed: Sequence[str]):  # type: ignore[no-untyped-def]
    import torch

    idx = np.sort(idx)
    x = {m: torch.from_numpy(np.ascontiguousarray(matrix.features[m][idx])) for m in MODALITIES}
    mask = {m: torch.from_numpy((matrix.present[m][idx] & (m in allowed)).astype(np.float32)) for m in MODALITIES}
    return x, mask, torch.from_numpy(matrix.labels[idx])


def _predict(net, matrix: FeatureMatrix, idx: np.ndarray, allowed: Sequence[str], batch: int = 4096) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    net.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(idx), batch):
            x, mask, _ = _batch(matrix, idx[i:i + batch], allowed)
            out.append(net(x, mask)[0].argmax(1).numpy())
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def _usable(matrix: FeatureMatrix, rows: np.ndarray, allowed: Sequence[str], faces_only: bool) -> np.ndarray:
    """Rows with at least one allowed modality; the face fine-tuning stage uses the clips with faces."""
    keep = np.zeros(len(rows), bool)
    for m in allowed:
        keep |= matrix.present[m][rows]
    if faces_only:
        keep &= matrix.present["face"][rows]
    return rows[keep]


def train(matrix: FeatureMatrix, config: TrainConfig = TrainConfig(),
          progress: Callable[[str, int, int, float], None] | None = None):  # type: ignore[no-untyped-def]
    """Train a FusionNet on the matrix; returns (net, TrainResult)."""
    import torch
    from sklearn.metrics import accuracy_score, f1_score

    from unlock_feeling.train.model import FusionNet

    torch.manual_seed(config.seed)
    torch.set_num_threads(config.threads)
    rng = np.random.default_rng(config.seed)
    train_rows, val_rows = matrix.index("train"), matrix.index("val")
    if len(train_rows) == 0:
        raise UserInputError("no training samples (split 'train' is empty)")
    if len(val_rows) == 0:  # no validation split: hold out a tenth of the training rows
        rng_split = rng.permutation(train_rows)
        cut = max(1, len(rng_split) // 10)
        val_rows, train_rows = np.sort(rng_split[:cut]), np.sort(rng_split[cut:])
    net = FusionNet(matrix.dims, config.hidden, config.dropout)
    for m, (mean, std) in _standardisation(matrix, train_rows).items():
        getattr(net, f"{m}_mean").copy_(torch.from_numpy(mean))
        getattr(net, f"{m}_std").copy_(torch.from_numpy(std))
    result = TrainResult()
    for stage_no, allowed in enumerate(config.stages):
        fine_tune_on_faces = "face" in allowed and len(config.stages) > 1 and stage_no > 0
        tr = _usable(matrix, train_rows, allowed, fine_tune_on_faces)
        va = _usable(matrix, val_rows, allowed, fine_tune_on_faces)
        if len(tr) == 0:
            continue
        counts = np.bincount(matrix.labels[tr], minlength=len(LABELS)).astype(np.float64)
        weights = torch.tensor(np.where(counts > 0, counts.sum() / (len(LABELS) * np.maximum(counts, 1)), 0.0),
                               dtype=torch.float32)
        lr = config.lr * (config.fine_tune_lr_factor if stage_no > 0 else 1.0)
        opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=config.weight_decay)
        loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
        best = (-1.0, 0.0, -1, {k: v.clone() for k, v in net.state_dict().items()})
        t0 = time.perf_counter()
        epoch = 0
        for epoch in range(1, config.epochs + 1):
            net.train()
            order = rng.permutation(tr)
            for i in range(0, len(order), config.batch_size):
                x, mask, y = _batch(matrix, order[i:i + config.batch_size], allowed)
                if config.modality_dropout > 0:
                    for m in allowed:
                        drop = torch.rand(len(y)) < config.modality_dropout
                        others = sum(mask[k] for k in allowed if k != m)
                        mask[m] = torch.where(drop & (others > 0), torch.zeros_like(mask[m]), mask[m])
                fused, per = net(x, mask)
                loss = loss_fn(fused, y)
                for m in allowed:
                    sel = mask[m] > 0
                    if sel.any():
                        loss = loss + 0.5 * loss_fn(per[m][sel], y[sel])
                opt.zero_grad()
                loss.backward()
                opt.step()
            pred = _predict(net, matrix, va, allowed)
            f1 = float(f1_score(matrix.labels[va], pred, average="macro", zero_division=0)) if len(va) else 0.0
            acc = float(accuracy_score(matrix.labels[va], pred)) if len(va) else 0.0
            if progress:
                progress("+".join(allowed), epoch, config.epochs, f1)
            if f1 > best[0]:
                best = (f1, acc, epoch, {k: v.clone() for k, v in net.state_dict().items()})
            elif epoch - best[2] >= config.patience:
                break
        net.load_state_dict(best[3])
        result.stages.append(StageResult(allowed, len(tr), len(va), epoch, best[2], round(best[0], 4),
                                         round(best[1], 4), round(time.perf_counter() - t0, 2)))
    if not result.stages:
        raise UserInputError("no stage had training samples with its modalities")
    return net, result


def save_checkpoint(net, out: Path, matrix: FeatureMatrix, config: TrainConfig, result: TrainResult,  # type: ignore[no-untyped-def]
                    extra: dict[str, Any] | None = None) -> Path:
    """model.safetensors + config.json, written to a temporary folder and renamed into place."""
    import shutil
    import tempfile

    from safetensors.torch import save_file

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(tmp / "model.safetensors"))
        counts = {LABELS[i]: int(c) for i, c in enumerate(np.bincount(matrix.labels, minlength=len(LABELS)))}
        cfg = {
            "format": "unlock-feeling fusion model 1",
            "labels": list(LABELS),
            "modalities": list(MODALITIES),
            "dims": matrix.dims,
            "hidden": config.hidden,
            "extractors": matrix.extractors,
            "training": {"config": {**asdict(config), "stages": ["+".join(s) for s in config.stages]},
                         "samples": len(matrix), "label_counts": counts,
                         "splits": {s: int((matrix.splits == s).sum()) for s in SPLITS},
                         "stages": [asdict(s) for s in result.stages]},
            **(extra or {}),
        }
        (tmp / "config.json").write_text(json.dumps(cfg, indent=2, ensure_ascii=False), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out
