"""How much did near copies of held-out sentences in the training files inflate the own held-out
scores? The own test and hard sets are split into the sentences that had a near copy
(`unlock_feeling.datasets.text.near_copy`) in the training files of a given revision, and the rest;
each model is scored on both parts. Only our own sentences are involved (no corpus download).

    python benchmarks/bench_text_near_copies.py --trained-on 1d30f53 \\
        [--model NAME=path.safetensors ...]    # → docs/accuracy.md (section text-near-copies)
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from _doc import machine, write_section  # noqa: E402


def training_texts(rev: str, lang: str) -> list[str]:
    """Every training sentence of one language in corpus/ (and its subfolders) at a git revision."""
    names = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", rev, "corpus/"],
                           check=True, capture_output=True, text=True).stdout.split()
    texts = []
    for name in names:
        if Path(name).name.startswith(f"{lang}_") and name.endswith("train.tsv"):
            data = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:{name}"],
                                  check=True, capture_output=True, text=True).stdout
            texts += [r["text"] for r in csv.DictReader(io.StringIO(data), delimiter="\t")]
    return texts


def main() -> None:
    from unlock_feeling.datasets.text import near_copy, own_hard_items, own_items, trigrams
    from unlock_feeling.extract.text import TextEmotionModel
    from unlock_feeling.labels import LABELS
    from unlock_feeling.models.registry import model_path

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trained-on", required=True, help="git revision whose corpus/ the models were trained on")
    ap.add_argument("--model", action="append", default=[], help="NAME=path (default: the bundled model)")
    args = ap.parse_args()
    models = dict(m.split("=", 1) for m in args.model) or {"bundled default": str(model_path("text-emotion-e5"))}
    held = [it for it in own_items(ROOT / "corpus") if it.split == "test"] + own_hard_items(ROOT / "corpus")
    sets = {"own held-out ko (explicit)": "own-ko", "own held-out en (explicit)": "own-en",
            "own hard ko": "own-hard-ko", "own hard en": "own-hard-en"}
    train = {lang: [trigrams(t) for t in training_texts(args.trained_on, lang)] for lang in ("ko", "en")}
    held_grams = [trigrams(it.text) for it in held]
    copied = np.array([any(near_copy(h, g) for g in train[it.dataset[-2:]]) for it, h in zip(held, held_grams)])
    y = np.array([LABELS.index(it.label) for it in held])
    lines = ["## Own held-out sets: sentences with a near copy in training\n",
             f"Measured {dt.date.today()} on {machine()} by `python benchmarks/bench_text_near_copies.py "
             f"--trained-on {args.trained_on}`.\n",
             "Accuracy on the held-out sentences that had a near copy (character-trigram Jaccard ≥ 0.5) in "
             f"the training files at `{args.trained_on}`, and on the rest. The training files no longer "
             "hold such copies (`tests/test_corpus.py`); models trained on the old files keep the advantage.\n",
             "| model | set | items | with a near copy | accuracy, all | on the near copies | on the rest |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, path in models.items():
        pred = TextEmotionModel.load(Path(path))([it.text for it in held]).argmax(1)
        for title, dataset in sets.items():
            m = np.array([it.dataset == dataset for it in held])
            ok = pred == y
            c, r = m & copied, m & ~copied
            on_copies = f"{ok[c].mean():.3f}" if c.any() else "–"
            lines.append(f"| {name} | {title} | {m.sum()} | {c.sum()} | {ok[m].mean():.3f} | {on_copies} | "
                         f"{ok[r].mean():.3f} |")
    write_section("text-near-copies", "\n".join(lines), ROOT / "docs" / "accuracy.md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
