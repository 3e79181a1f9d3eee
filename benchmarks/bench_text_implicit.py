"""Does training on implicit-emotion sentences teach that register, or only those sentences?

The implicit-emotion sentences of `corpus/trial/` (a situation instead of an emotion word; never
read by the default recipe) are split in two halves by text hash. A model trained with the first
half is scored on the second half, which no model has seen, against a reference (the default) on
the same sentences: accuracy per language, the paired bootstrap standard error of the difference,
and how many of the errors are `neutral`. Validation-grade data written by the project, not a test
split: the own hard test sets stay untouched.

    python benchmarks/bench_text_implicit.py --write-train data/text/implicit_half.csv
    python tools/train_text_model.py --corpora goemotions,meld,kote,own,implicit_half --runs 1 \\
        --seed 0 --out data/text/exp/text_implicit_half.safetensors
    python benchmarks/bench_text_implicit.py REFERENCE.safetensors OTHER.safetensors ...
        # → docs/accuracy.md (section text-implicit)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from _bootstrap import resamples  # noqa: E402
from _doc import machine, write_section  # noqa: E402


def main() -> None:
    from unlock_feeling.datasets.text import own_trial_items, write_manifest
    from unlock_feeling.extract.text import TextEmotionModel
    from unlock_feeling.labels import LABELS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="*", help="the first one is the reference")
    ap.add_argument("--write-train", type=Path, help="write the halves as a training manifest and stop")
    ap.add_argument("--resamples", type=int, default=2000)
    args = ap.parse_args()
    items = own_trial_items(ROOT / "corpus", "implicit_train")
    if args.write_train:
        write_manifest(items, args.write_train)
        print(f"{args.write_train}: {sum(it.split == 'train' for it in items)} train, "
              f"{sum(it.split == 'test' for it in items)} held-out sentences")
        return
    if not args.models:
        ap.error("give the models to score (the first is the reference), or --write-train")
    test = [it for it in items if it.split == "test"]
    y = np.array([LABELS.index(it.label) for it in test])
    lang = np.array([it.dataset for it in test])
    preds = [TextEmotionModel.load(path)([it.text for it in test]).argmax(1) for path in args.models]
    rng = np.random.default_rng(0)
    neutral = LABELS.index("neutral")
    rows = []
    for code in ("en", "ko"):
        sel = np.flatnonzero(lang == f"own-{code}")
        samples = resamples(len(sel), args.resamples, rng)
        ref = (preds[0][sel] == y[sel]).astype(float)
        for k, (path, p) in enumerate(zip(args.models, preds)):
            right = (p[sel] == y[sel]).astype(float)
            wrong = p[sel] != y[sel]
            diff = "–" if k == 0 else (f"{right.mean() - ref.mean():+.3f} ± "
                                       f"{(right[samples] - ref[samples]).mean(1).std():.3f}")
            rows.append(f"| {code} | {len(sel)} | {path.stem} | {right.mean():.3f} | {diff} | "
                        f"{int(np.sum(wrong & (p[sel] == neutral)))} of {int(wrong.sum())} |")
    lines = ["## Implicit-emotion sentences: held-out half of `corpus/trial/*_implicit_train.tsv`\n",
             f"Measured {dt.date.today()} on {machine()} by `python benchmarks/bench_text_implicit.py "
             + " ".join(p.name for p in args.models) + "`.\n",
             "Sentences that state a situation instead of an emotion, written for this project and never in the "
             "default's training; split in halves by text hash (`--write-train` writes the manifest a trial run "
             "trains on). Scored: the held-out half only, calibrated outputs as `analyze` uses them. The "
             f"difference to the first model is paired, ± its bootstrap standard error ({args.resamples} resamples). "
             "Validation-grade: the same author wrote both halves, so a gain here is an upper bound for "
             "sentences written by others.\n",
             "| language | sentences | model | accuracy | difference to the first ± SE | errors read as neutral |",
             "|---|---:|---|---:|---:|---:|", *rows]
    write_section("text-implicit", "\n".join(lines), ROOT / "docs" / "accuracy.md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
