"""Samples, load reports, speaker-independent splits and the format registry."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from unlock_feeling.errors import UserInputError
from unlock_feeling.labels import Shares, normalize_label

Split = Literal["train", "val", "test"]
SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class Sample:
    id: str
    path: str
    """Media file (wav, video clip or image); empty for text-only samples."""
    label: str
    """One of LABELS."""
    text: str = ""
    speaker: str = ""
    split: str = ""
    start: float = 0.0
    end: float = 0.0
    """Span in seconds; (0, 0) = the whole file."""
    dataset: str = ""
    source_label: str = ""
    weight: float = 1.0
    """How much the sample counts in training (e.g. annotator agreement); 1 by default."""
    shares: Shares = ()
    """The annotators' distribution over LABELS where a dataset gives one (a soft label; `label`
    is normally its largest share); () = `label` alone."""


@dataclass
class LoadReport:
    dataset: str
    samples: int = 0
    labels: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    """reason → count, e.g. 'label 불안 (no equivalent)', 'no wav for json'."""

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def summary(self) -> str:
        parts = [f"{self.dataset}: {self.samples} samples"]
        parts += [f"{k} {v}" for k, v in sorted(self.labels.items())]
        if self.skipped:
            parts.append("skipped: " + ", ".join(f"{k} ×{v}" for k, v in self.skipped.most_common()))
        return "; ".join(parts)


def map_label(raw: str, report: LoadReport) -> str | None:
    """Our label for a dataset label; counts unknown labels in the report."""
    label = normalize_label(raw)
    if label is None:
        report.skip(f"label {raw.strip() or '(empty)'} (no equivalent)")
    return label


def speaker_split(speaker: str, val: float = 0.1, test: float = 0.1, seed: str = "unlock-feeling") -> str:
    """Deterministic split by speaker: a speaker's samples all land in the same split."""
    h = int(hashlib.sha256(f"{seed}|{speaker}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if h < test else "val" if h < test + val else "train"


def assign_splits(samples: list[Sample]) -> list[Sample]:
    """Fill missing splits by speaker (or by sample id when the speaker is unknown)."""
    return [s if s.split else replace(s, split=speaker_split(s.speaker or s.id)) for s in samples]


Loader = Callable[[Path, LoadReport], list[Sample]]
FORMATS: dict[str, Loader] = {}


def register(name: str) -> Callable[[Loader], Loader]:
    def deco(fn: Loader) -> Loader:
        FORMATS[name] = fn
        return fn

    return deco


def load_dataset(root: str | Path, fmt: str) -> tuple[list[Sample], LoadReport]:
    from unlock_feeling.datasets import formats  # noqa: F401  (registers the loaders)

    root = Path(root)
    if fmt not in FORMATS:
        raise UserInputError(f"unknown dataset format {fmt!r}; choose from {', '.join(sorted(FORMATS))}")
    if not root.exists():
        raise UserInputError(f"{root}: no such file or directory")
    report = LoadReport(fmt)
    samples = assign_splits(FORMATS[fmt](root, report))
    if not samples:
        raise UserInputError(f"{root}: no labelled samples found for format {fmt} ({report.summary()})")
    report.samples = len(samples)
    report.labels = Counter(s.label for s in samples)
    return samples, report
