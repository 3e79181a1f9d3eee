"""Accuracy, macro/weighted F1, unweighted average recall, per-class report and confusion matrix,
for the fused prediction and for each modality's own head."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from unlock_feeling.errors import UserInputError
from unlock_feeling.labels import LABELS
from unlock_feeling.fuse.model import FusionModel
from unlock_feeling.labels import MODALITIES
from unlock_feeling.train.data import FeatureMatrix


@dataclass(frozen=True)
class Scores:
    name: str
    samples: int
    accuracy: float
    macro_f1: float
    weighted_f1: float
    uar: float
    report: dict[str, Any]
    confusion: list[list[int]]


def score(name: str, y: np.ndarray, pred: np.ndarray) -> Scores:
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, classification_report, confusion_matrix, f1_score

    import warnings

    labels = list(range(len(LABELS)))
    with warnings.catch_warnings():  # classes absent from a small split are expected, not news
        warnings.simplefilter("ignore", UserWarning)
        return Scores(
            name, int(len(y)), round(float(accuracy_score(y, pred)), 4),
            # averaged over the classes present in the truth or the predictions (sklearn's default)
            round(float(f1_score(y, pred, average="macro", zero_division=0)), 4),
            round(float(f1_score(y, pred, average="weighted", zero_division=0)), 4),
            round(float(balanced_accuracy_score(y, pred)), 4),
            classification_report(y, pred, labels=labels, target_names=list(LABELS), output_dict=True,
                                  zero_division=0),
            confusion_matrix(y, pred, labels=labels).tolist(),
        )


def predict_matrix(model: FusionModel, matrix: FeatureMatrix, rows: np.ndarray, batch: int = 4096
                   ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    fused: list[np.ndarray] = []
    per: dict[str, list[np.ndarray]] = {m: [] for m in MODALITIES}
    for i in range(0, len(rows), batch):
        idx = rows[i:i + batch]
        x = {m: np.asarray(matrix.features[m][idx], np.float32) for m in MODALITIES}
        mask = {m: matrix.present[m][idx].astype(np.float32) for m in MODALITIES}
        f, p = model.forward(x, mask)
        fused.append(f)
        for m in MODALITIES:
            per[m].append(p[m])
    return (np.concatenate(fused) if fused else np.zeros((0, len(LABELS))),
            {m: np.concatenate(v) if v else np.zeros((0, len(LABELS))) for m, v in per.items()})


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 15) -> float:
    """ECE: the confidence-weighted gap between confidence and accuracy over equal-width bins."""
    conf, pred = probs.max(1), probs.argmax(1)
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        sel = (conf > lo) & (conf <= hi)
        if sel.any():
            total += sel.mean() * abs((pred[sel] == y[sel]).mean() - conf[sel].mean())
    return float(total)


def _plot_confusion(s: Scores, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.array(s.confusion, dtype=float)
    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(j, i, str(int(cm[i, j])), ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black",
                    fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{s.name}: acc {s.accuracy:.3f}, macro-F1 {s.macro_f1:.3f} (n={s.samples})")
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)


def evaluate(model: FusionModel, matrix: FeatureMatrix, split: str, out: Path) -> list[Scores]:
    rows = matrix.index(split)
    if len(rows) == 0:
        raise UserInputError(f"no samples in split {split!r}")
    fused, per = predict_matrix(model, matrix, rows)
    y = matrix.labels[rows]
    results = [score("fused", y, fused.argmax(1))]
    for m in MODALITIES:
        sel = matrix.present[m][rows]
        if sel.any():
            results.append(score(m, y[sel], per[m][sel].argmax(1)))
    out.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    for s in results:
        pd.DataFrame(s.confusion, index=list(LABELS), columns=list(LABELS)).to_csv(out / f"confusion_{s.name}.csv")
        _plot_confusion(s, out / f"confusion_{s.name}.png")
    (out / "metrics.json").write_text(json.dumps([s.__dict__ for s in results], indent=2), encoding="utf-8")
    return results
