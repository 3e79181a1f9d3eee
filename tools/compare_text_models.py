"""Compare text-emotion models on the validation splits only (the choice between models is made
here; test splits are scored once, by benchmarks/bench_text.py, for the model chosen).

    python tools/compare_text_models.py A.safetensors B.safetensors [--data data/text]

Prints, per model, macro-F1 per corpus (the training's own criterion, averaged over corpora) and
MELD dev weighted F1, from the calibrated probabilities that `analyze` uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

from unlock_feeling.datasets.text import read_manifest  # noqa: E402
from unlock_feeling.labels import LABELS  # noqa: E402


def main() -> None:
    from sklearn.metrics import f1_score

    from unlock_feeling.extract.text import TextEmotionModel

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--data", type=Path, default=ROOT / "data/text")
    args = ap.parse_args()
    val = [r for name in ("goemotions", "meld", "kote", "own") for r in read_manifest(args.data / f"{name}.csv")
           if r.split == "val"]
    y = np.array([LABELS.index(r.label) for r in val])
    groups = np.array([r.dataset for r in val])
    for path in args.models:
        pred = TextEmotionModel.load(path)([r.text for r in val]).argmax(1)
        per = {g: round(float(f1_score(y[groups == g], pred[groups == g], average="macro",
                                       labels=list(range(len(LABELS))), zero_division=0)), 4)
               for g in sorted(set(groups))}
        meld = groups == "meld"
        print(json.dumps({"model": str(path), "val_macro_f1": per, "val_mean": round(float(np.mean(list(per.values()))), 4),
                          "meld_dev_weighted_f1": round(float(f1_score(y[meld], pred[meld], average="weighted")), 4)}))


if __name__ == "__main__":
    main()
