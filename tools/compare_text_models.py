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


def main() -> None:
    from unlock_feeling.extract.text import TextEmotionModel
    from unlock_feeling.train.text_model import evaluate_text_model

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--data", type=Path, default=ROOT / "data/text")
    ap.add_argument("--corpora", default="goemotions,meld,xed,kote,own")
    args = ap.parse_args()
    by_corpus: dict[str, list] = {}
    for name in args.corpora.split(","):
        for r in read_manifest(args.data / f"{name}.csv"):
            if r.split == "val":
                by_corpus.setdefault(r.dataset, []).append(r)
    for path in args.models:
        model = TextEmotionModel.load(path)
        scores = {g: evaluate_text_model(model, items) for g, items in sorted(by_corpus.items())}
        per = {g: round(s["macro_f1"], 4) for g, s in scores.items()}
        print(json.dumps({"model": str(path), "val_macro_f1": per, "val_mean": round(float(np.mean(list(per.values()))), 4),
                          "val_mean_without_xed": round(float(np.mean([v for g, v in per.items() if g != "xed"])), 4),
                          "meld_dev_weighted_f1": round(scores["meld"]["weighted_f1"], 4)}))


if __name__ == "__main__":
    main()
