"""Average text-emotion models trained from the same start (a "model soup") and calibrate the
average on the validation splits — what `train_text_model.py --runs N` does at the end of its
runs, for model files that already exist (for example a run with another seed).

    python tools/average_text_models.py A.safetensors B.safetensors -o SOUP.safetensors [--data data/text]

Only validation splits are read (the calibration's temperature and class bias are fitted there,
each corpus counting equally, as in training); test splits are scored by benchmarks/bench_text.py.
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
    from unlock_feeling.extract.e5 import Adapter
    from unlock_feeling.extract.text import TextEmotionModel, training_runs
    from unlock_feeling.train.text_model import calibrate, macro_f1_by_group

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=ROOT / "data/text")
    ap.add_argument("--corpora", default="goemotions,meld,kote,own")
    args = ap.parse_args()
    models = [TextEmotionModel.load(p) for p in args.models]
    if len({m.metadata.get("n_frozen") for m in models}) != 1:
        sys.exit("error: the models adapt different layers")
    val = [r for name in args.corpora.split(",") for r in read_manifest(args.data / f"{name}.csv") if r.split == "val"]
    soup = TextEmotionModel(Adapter.average([m.adapter for m in models]),
                            np.mean([m.head_weight for m in models], axis=0),
                            np.mean([m.head_bias for m in models], axis=0), 1.0,
                            np.zeros(len(LABELS), np.float32), {}, models[0].max_tokens)
    logits = soup.logits(soup.embed([r.text for r in val]))
    y = np.array([LABELS.index(r.label) for r in val])
    groups = np.array([r.dataset for r in val])
    soup.temperature, soup.class_bias = calibrate(logits, y, groups)
    per = macro_f1_by_group(y, logits.argmax(1), groups)
    trainings = [m.training for m in models]
    summary = dict(trainings[0], runs=[r for t in trainings for r in training_runs(t)], val_macro_f1=per,
                   val_mean=round(float(np.mean(list(per.values()))), 4), temperature=round(soup.temperature, 4),
                   bias=[round(float(b), 4) for b in soup.class_bias], averaged=[p.name for p in args.models])
    for key in ("history", "best_epoch", "seconds"):
        summary.pop(key, None)
    soup.metadata = {"n_frozen": models[0].metadata["n_frozen"], "encoder_sha256": models[0].metadata["encoder_sha256"],
                     "training": json.dumps(summary, ensure_ascii=False)}
    soup.save(args.out)
    print(json.dumps({k: summary[k] for k in ("averaged", "val_macro_f1", "val_mean", "temperature", "bias")},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
