"""Does the previous utterance help the text model? Measured on MELD's dev split only (dialogue
order) with the bundled model; the test split is not read.

1. Without training: the current utterance's probabilities mixed with the previous one's (weight
   λ), or its sentence state mixed with the previous state (weight α).
2. Trained on the outputs: a logistic regression over the calibrated logits of the current
   utterance alone, or with the previous utterance's (of any speaker, or the last one of the same
   speaker and of another speaker), 5-fold cross-validated on MELD dev (the train split's own
   outputs are fitted by training, so they would flatter the current utterance).
The encoder trained on (current, previous) pairs is `bench_text_pair.py`.

    python benchmarks/bench_text_context.py --data data/text    # → docs/accuracy.md (text-context)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))

from _bootstrap import resamples, scores  # noqa: E402
from _dialogue import meld_in_order, previous  # noqa: E402
from _doc import machine, write_section  # noqa: E402


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    from unlock_feeling.extract.text import TextEmotionModel
    from unlock_feeling.labels import LABELS
    from unlock_feeling.models.registry import model_path

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "text")
    ap.add_argument("--resamples", type=int, default=500)
    args = ap.parse_args()
    rows = meld_in_order(args.data, ("val",))
    model = TextEmotionModel.load(model_path("text-emotion-e5"))
    states = model.embed([r.text for r in rows])
    y = np.array([LABELS.index(r.label) for r in rows])
    prev = previous(rows)
    has = prev >= 0
    samples = resamples(len(y), args.resamples, np.random.default_rng(0))

    def probabilities(z: np.ndarray) -> np.ndarray:
        z = z / model.temperature + model.class_bias
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def wf1(pred: np.ndarray, idx: np.ndarray | slice = slice(None)) -> float:
        return float(f1_score(y[idx], pred[idx], average="weighted", labels=list(range(len(LABELS))),
                              zero_division=0))

    def row(name: str, pred: np.ndarray, ref: np.ndarray) -> str:
        diff = scores(lambda i: wf1(pred, i) - wf1(ref, i), samples)
        return f"| {name} | {wf1(pred):.4f} | {wf1(pred) - wf1(ref):+.4f} ± {diff.std():.4f} |"

    base = probabilities(model.logits(states)).argmax(1)
    mixes = [row("none (the current utterance only)", base, base)]
    for lam in (0.1, 0.2, 0.3, 0.5):
        p = probabilities(model.logits(states))
        p[has] = (p[has] + lam * p[prev[has]]) / (1 + lam)
        mixes.append(row(f"probabilities mixed with the previous utterance's, λ = {lam}", p.argmax(1), base))
    for alpha in (0.1, 0.2, 0.3, 0.5):
        s = states.copy()
        s[has] = (states[has] + alpha * states[prev[has]]) / (1 + alpha)
        mixes.append(row(f"sentence state mixed with the previous one's, α = {alpha}",
                         probabilities(model.logits(s)).argmax(1), base))

    z = np.log(probabilities(model.logits(states)))

    def logits_of(index: np.ndarray) -> np.ndarray:
        present = (index >= 0)[:, None]
        return np.hstack([np.where(present, z[np.maximum(index, 0)], 0.0), present])

    features = {
        "current utterance": z,
        "+ previous utterance": np.hstack([z, logits_of(prev)]),
        "+ previous of the same speaker and of another speaker":
            np.hstack([z, logits_of(previous(rows, True)), logits_of(previous(rows, False))]),
    }
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(z, y))
    trained = []
    for c in (0.01, 0.1, 1.0):
        preds = {}
        for name, x in features.items():
            pred = np.zeros(len(y), int)
            for fit, held in folds:
                pred[held] = LogisticRegression(C=c, max_iter=3000).fit(x[fit], y[fit]).predict(x[held])
            preds[name] = pred
        ref = preds["current utterance"]
        trained += [row(f"C = {c}: {name}", pred, ref) for name, pred in preds.items()]

    lines = [
        "## Context: the previous utterance (MELD dev)",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} by `python benchmarks/bench_text_context.py`.",
        f"MELD dev split, {len(rows)} utterances in dialogue order ({int(has.sum())} with a previous one); "
        "the bundled text model; weighted F1, and its difference to the reference ± the paired bootstrap "
        f"standard error ({args.resamples} resamples of the utterances). The test split is not read.",
        "",
        "Without training (reference: the bundled model on the current utterance only):",
        "",
        "| context | weighted F1 | difference ± SE |",
        "|---|---:|---:|",
        *mixes,
        "",
        "Trained on the model's outputs: logistic regression over the calibrated log-probabilities "
        "(+ a has-previous flag per context), 5-fold cross-validation on MELD dev (reference: the "
        "current utterance alone with the same C):",
        "",
        "| features | weighted F1 | difference ± SE |",
        "|---|---:|---:|",
        *trained,
        "",
    ]
    write_section("text-context", "\n".join(lines), ROOT / "docs" / "accuracy.md")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
