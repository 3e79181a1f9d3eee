"""MELD in dialogue order and the utterance before each: what the context benchmarks share."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from unlock_feeling.datasets.text import TextItem, read_manifest


def meld_in_order(data: Path, splits: tuple[str, ...]) -> list[TextItem]:
    """MELD's items of `splits` (from `data/meld.csv`), split by split in that order, each in
    dialogue and utterance order."""
    rows = [r for r in read_manifest(data / "meld.csv") if r.split in splits]
    rows.sort(key=lambda r: (splits.index(r.split), *(int(x) for x in r.dialogue.split("/"))))
    return rows


def previous(rows: list[TextItem], same: bool | None = None) -> np.ndarray:
    """Index of the latest earlier utterance of the same dialogue (-1: none); `same` True / False
    restricts it to the same speaker / another speaker."""
    dialogue = [(r.split, r.dialogue.split("/")[0]) for r in rows]
    out = np.full(len(rows), -1)
    for i in range(len(rows)):
        j = i - 1
        while j >= 0 and dialogue[j] == dialogue[i]:
            if same is None or (rows[j].speaker == rows[i].speaker) == same:
                out[i] = j
                break
            j -= 1
    return out
