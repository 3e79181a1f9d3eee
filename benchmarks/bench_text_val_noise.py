"""How large must a validation difference between two text models be to mean something? Each
model is scored on the validation splits (never a test split) and compared with the first one
on the same bootstrap resamples of the items (paired), per corpus: macro-F1 (the training's
criterion) and, for MELD dev, weighted F1.

    python benchmarks/bench_text_val_noise.py REFERENCE.safetensors OTHER.safetensors ... \\
        [--data data/text] [--resamples 300]     # → docs/accuracy.md (section text-val-noise)

With `--section NAME --heading TEXT` the table goes to its own section instead (one A/B of a
recipe change, e.g. text-soft-labels), leaving the seven-model noise table as it is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))

from _bootstrap import resamples, scores  # noqa: E402
from _doc import machine, write_section  # noqa: E402

CORPORA = ("goemotions", "meld", "kote", "own")


def main() -> None:
    from sklearn.metrics import f1_score

    from unlock_feeling.datasets.text import read_manifest
    from unlock_feeling.extract.text import TextEmotionModel
    from unlock_feeling.labels import LABELS

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+", help="the first one is the reference")
    ap.add_argument("--data", type=Path, default=ROOT / "data/text")
    ap.add_argument("--resamples", type=int, default=300)
    ap.add_argument("--section", default="text-val-noise", help="the docs/accuracy.md section to (re)write")
    ap.add_argument("--heading", default="Validation noise: how large a difference between two text models means something")
    args = ap.parse_args()
    val = [r for name in CORPORA for r in read_manifest(args.data / f"{name}.csv") if r.split == "val"]
    groups = sorted({r.dataset for r in val})
    y = np.array([LABELS.index(r.label) for r in val])
    group = np.array([r.dataset for r in val])
    preds = [TextEmotionModel.load(path)([r.text for r in val]).argmax(1) for path in args.models]
    rng = np.random.default_rng(0)
    labels = list(range(len(LABELS)))

    def metric(p: np.ndarray, idx: np.ndarray, average: str) -> float:
        return float(f1_score(y[idx], p[idx], average=average, labels=labels, zero_division=0))

    rows, sizes = [], []
    for g in groups:
        items = np.flatnonzero(group == g)
        samples = items[resamples(len(items), args.resamples, rng)]
        counts = {LABELS[k]: int(np.sum(y[items] == k)) for k in labels}
        for average, title in (("macro", "macro-F1"), ("weighted", "weighted F1")):
            if average == "weighted" and g != "meld":
                continue
            ref_value = metric(preds[0], items, average)
            ref = scores(lambda s, a=average: metric(preds[0], s, a), samples)
            rows.append(f"| {g} {title} | {len(items)} | {args.models[0].stem} | {ref_value:.3f} | {ref.std():.3f} | – |")
            for path, p in zip(args.models[1:], preds[1:]):
                value = metric(p, items, average)
                boot = scores(lambda s, p=p, a=average: metric(p, s, a), samples)
                diff = boot - ref
                rows.append(f"| {g} {title} | {len(items)} | {path.stem} | {value:.3f} | {boot.std():.3f} | "
                            f"{value - ref_value:+.3f} ± {diff.std():.3f} |")
        sizes.append(f"{g} " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    options = "" if args.section == "text-val-noise" else f' --section {args.section} --heading "{args.heading}"'
    lines = [f"## {args.heading}\n",
             f"Measured {dt.date.today()} on {machine()} by `python benchmarks/bench_text_val_noise.py "
             + " ".join(p.name for p in args.models) + f" --resamples {args.resamples}{options}`.\n",
             "Validation splits only, calibrated outputs as `analyze` uses them. 'SE' is the bootstrap standard "
             f"error over {args.resamples} resamples of the items; the difference to the first model is computed on "
             "the same resamples (paired), with its standard error.\n",
             "| validation set | items | model | score | SE | difference to the first ± SE |",
             "|---|---:|---|---:|---:|---:|", *rows, "", "Items per class: " + "; ".join(sizes) + "."]
    write_section(args.section, "\n".join(lines), ROOT / "docs" / "accuracy.md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
