"""Text emotion on real language: the shipped text model beside the previous one, on public test splits.

    python tools/fetch_text_corpora.py --out data/text     # pinned, sha256-checked corpora
    python benchmarks/bench_text.py --data data/text       # → docs/accuracy.md (section text-real)
    python benchmarks/bench_text.py --model NEW --previous OLD   # a candidate beside the model it replaces

Test splits are scored here and nowhere else; nothing in this script feeds back into training.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bootstrap import resamples as bootstrap_resamples, scores  # noqa: E402
from _doc import machine, write_section  # noqa: E402

from unlock_feeling.datasets.text import TextItem, own_hard_items, read_manifest  # noqa: E402
from unlock_feeling.labels import LABELS  # noqa: E402

DOC = ROOT / "docs" / "accuracy.md"
IMG = ROOT / "docs" / "img"


def test_sets(data: Path) -> dict[str, list[TextItem]]:
    sets: dict[str, list[TextItem]] = {}
    rows = {name: [r for r in read_manifest(data / f"{name}.csv") if r.split == "test"]
            for name in ("goemotions", "kote", "meld", "xed", "own")}
    sets["MELD test (en, TV dialogue)"] = rows["meld"]
    sets["GoEmotions test (en, Reddit; single-class items)"] = rows["goemotions"]
    sets["XED test (en, movie subtitles; our 10 % hash split)"] = rows["xed"]
    sets["KOTE test (ko, online comments; majority > 50 %)"] = [r for r in rows["kote"] if r.weight > 0.5]
    sets["own held-out ko (explicit)"] = [r for r in rows["own"] if r.dataset == "own-ko"]
    sets["own held-out en (explicit)"] = [r for r in rows["own"] if r.dataset == "own-en"]
    hard = own_hard_items(ROOT / "corpus")
    sets["own hard ko (implicit, chat, negation)"] = [r for r in hard if r.dataset == "own-hard-ko"]
    sets["own hard en (implicit, chat, negation)"] = [r for r in hard if r.dataset == "own-hard-en"]
    return sets


def metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    pred = p.argmax(1)
    labels = list(range(len(LABELS)))
    return {"accuracy": accuracy_score(y, pred),
            "macro_f1": f1_score(y, pred, average="macro", labels=labels, zero_division=0),
            "weighted_f1": f1_score(y, pred, average="weighted", labels=labels, zero_division=0),
            "ece": ece(y, p)}


def ece(y: np.ndarray, p: np.ndarray) -> float:
    from unlock_feeling.evaluate.metrics import expected_calibration_error

    return expected_calibration_error(p, y, bins=15)


def bootstrap_se(y: np.ndarray, pred: np.ndarray, resamples: int = 500) -> float:
    """Standard error of weighted F1 over resamples of the items (seed 0)."""
    from sklearn.metrics import f1_score

    def weighted_f1(i: np.ndarray) -> float:
        return float(f1_score(y[i], pred[i], average="weighted", labels=list(range(len(LABELS))), zero_division=0))

    return float(scores(weighted_f1, bootstrap_resamples(len(y), resamples, np.random.default_rng(0))).std())


def per_class_f1(y: np.ndarray, p: np.ndarray) -> list[float]:
    from sklearn.metrics import f1_score

    return list(f1_score(y, p.argmax(1), average=None, labels=list(range(len(LABELS))), zero_division=0))


def plot_confusion(y: np.ndarray, p: np.ndarray, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y, p.argmax(1), labels=list(range(len(LABELS))), normalize="true")
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    ax.imshow(cm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(j, i, f"{cm[i, j]:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > 0.5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (row-normalised)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_reliability(curves: dict[str, tuple[np.ndarray, np.ndarray]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.4, 4.2))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
    edges = np.linspace(0, 1, 11)
    for name, (y, p) in curves.items():
        conf, ok = p.max(1), p.argmax(1) == y
        xs, ys = [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            sel = (conf > lo) & (conf <= hi)
            if sel.sum() >= 10:
                xs.append(conf[sel].mean())
                ys.append(ok[sel].mean())
        ax.plot(xs, ys, marker="o", ms=3, label=name)
    ax.set_xlabel("confidence")
    ax.set_ylabel("accuracy")
    ax.legend(fontsize=7)
    ax.set_title("reliability (all test sets pooled)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def speed_and_memory(which: str, path: Path | None = None) -> dict[str, float]:
    """Run in a fresh process: load time, ms per sentence (batched and one at a time), peak RSS."""
    code = f"""
import json, resource, time, sys
sys.path.insert(0, {str(ROOT / 'src')!r})
def hwm():  # this process's own peak (ru_maxrss would include the parent's peak at fork)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
before = hwm()
texts = ["I can't believe you did that to me again.", "오늘 회의는 세 시에 시작합니다.",
         "Wow, that's amazing news, congratulations!", "너무 무서워서 잠을 못 잤어."] * 16
t0 = time.perf_counter()
if {which!r} == "previous":
    from unlock_feeling.extract.text import LinearHead, TextEmbedder
    from unlock_feeling.models.registry import model_path
    emb, head = TextEmbedder("e5+use"), LinearHead.load(str(model_path("text-emotion-head")))
    run = lambda t: head(emb(t))
else:
    from unlock_feeling.extract.text import TextEmotionModel
    from unlock_feeling.models.registry import model_path
    model = TextEmotionModel.load({str(path) if path else None!r} or model_path("text-emotion-e5"))
    run = model
run(texts[:1])
load = time.perf_counter() - t0
t0 = time.perf_counter(); run(texts); batched = (time.perf_counter() - t0) / len(texts)
t0 = time.perf_counter()
for t in texts[:16]: run([t])
single = (time.perf_counter() - t0) / 16
peak = hwm()
print(json.dumps({{"load_s": load, "batched_ms": batched * 1000, "single_ms": single * 1000,
                   "peak_rss_mb": peak / 1024, "python_rss_mb": before / 1024}}))
"""
    env = dict(os.environ, OMP_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed_lines(new: Path | None = None, previous: Path | None = None) -> list[str]:
    runs = [("first (e5+USE head)", "previous", None)]
    if previous:
        runs.append(("previous adapted", "new", previous))
    runs.append(("new", "new", new))
    speed = {name: speed_and_memory(key, path) for name, key, path in runs}
    lines = ["Speed and memory (fresh process, 2 threads; 64 mixed Korean/English sentences):", "",
             "| model | load + first call (s) | ms per sentence, batched | ms per sentence, one at a time | peak RSS (MB) |",
             "|---|---:|---:|---:|---:|"]
    for name, s in speed.items():
        lines.append(f"| {name} | {s['load_s']:.2f} | {s['batched_ms']:.1f} | {s['single_ms']:.1f} | "
                     f"{s['peak_rss_mb']:.0f} (Python alone {s['python_rss_mb']:.0f}) |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT / "data/text")
    ap.add_argument("--model", type=Path, help="a TextEmotionModel file instead of the shipped one")
    ap.add_argument("--previous", type=Path, help="the adapted model the new one replaces, scored beside it")
    ap.add_argument("--speed-only", action="store_true", help="print the speed and memory table only")
    args = ap.parse_args()
    if args.speed_only:
        print("\n".join(speed_lines(args.model, args.previous)))
        return
    from unlock_feeling.extract.text import LinearHead, TextEmbedder, TextEmotionModel, training_runs
    from unlock_feeling.models.registry import model_path

    sets = test_sets(args.data)
    texts = sorted({r.text for rows in sets.values() for r in rows})
    index = {t: i for i, t in enumerate(texts)}
    print(f"{len(texts)} distinct test texts", flush=True)
    t0 = time.time()
    new_model = TextEmotionModel.load(args.model or model_path("text-emotion-e5"))
    p_new = new_model(texts)
    print(f"new model: {time.time() - t0:.0f} s", flush=True)
    t0 = time.time()
    p_old = LinearHead.load(str(model_path("text-emotion-head")))(TextEmbedder("e5+use")(texts))
    print(f"previous model: {time.time() - t0:.0f} s", flush=True)
    def adapted(model: TextEmotionModel) -> str:
        runs = len(training_runs(model.training))
        return (f"adapted e5, LoRA on the upper {12 - int(model.metadata.get('n_frozen', 0))} of 12 layers, real corpora"
                + (f", average of {runs} runs" if runs > 1 else ""))

    models = {"first (e5+USE head, own corpus)": p_old}
    if args.previous:
        previous = TextEmotionModel.load(args.previous)
        models[f"previous ({adapted(previous)})"] = previous(texts)
    models[f"new ({adapted(new_model)})"] = p_new

    lines = [f"Measured {date.today()} on {machine()}; reproduce with `python tools/fetch_text_corpora.py && "
             "python benchmarks/bench_text.py` (needs `pip install \".[bench]\"`).", "",
             "Test splits only (never used for training, epoch choice or calibration). MELD and GoEmotions are "
             "English (so is XED, movie subtitles, whose test part is a 10 % hash split of ours); KOTE is Korean online comments. Weighted F1 is the usual MELD figure (published text-only "
             "models: about 0.60–0.66); the GoEmotions paper's BERT reaches macro-F1 0.64 on the Ekman-mapped "
             "*multi-label* task, while this is the single-label subset (items whose labels map to one class).", "",
             "| test set | items | model | accuracy | macro-F1 | weighted F1 | ECE |", "|---|---:|---|---:|---:|---:|---:|"]
    per_class_rows, pooled = [], {name: ([], []) for name in models}
    IMG.mkdir(parents=True, exist_ok=True)
    for set_name, rows in sets.items():
        y = np.array([LABELS.index(r.label) for r in rows])
        idx = [index[r.text] for r in rows]
        for model_name, p in models.items():
            m = metrics(y, p[idx])
            lines.append(f"| {set_name} | {len(rows)} | {model_name} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                         f"{m['weighted_f1']:.3f} | {m['ece']:.3f} |")
            per_class_rows.append(f"| {set_name} | {model_name} | " +
                                  " | ".join(f"{v:.2f}" for v in per_class_f1(y, p[idx])) + " |")
            pooled[model_name][0].append(y)
            pooled[model_name][1].append(p[idx])
        slug = set_name.split(" (")[0].lower().replace(" ", "_").replace("-", "")
        plot_confusion(y, p_new[idx], f"new model — {set_name.split(' (')[0]}", IMG / f"confusion_text_{slug}.png")
    lines += ["", "F1 per class:", "", "| test set | model | " + " | ".join(LABELS) + " |",
              "|---|---|" + "---:|" * len(LABELS), *per_class_rows, ""]
    meld = sets["MELD test (en, TV dialogue)"]
    y_meld, idx_meld = np.array([LABELS.index(r.label) for r in meld]), [index[r.text] for r in meld]
    lines += ["Bootstrap standard error of MELD test weighted F1 (500 resamples of its utterances): " + ", ".join(
        f"{name} {bootstrap_se(y_meld, p[idx_meld].argmax(1)):.4f}" for name, p in models.items()) + ".", ""]
    curves = {name: (np.concatenate(ys), np.concatenate(ps)) for name, (ys, ps) in pooled.items()}
    plot_reliability(curves, IMG / "reliability_text.png")
    lines += ["Calibration (all test sets pooled): " + ", ".join(
        f"{name} ECE {ece(*curves[name]):.3f}" for name in curves) + ".", "",
        "![reliability](img/reliability_text.png)", "",
        " ".join(f"![{s}](img/confusion_text_{s.split(' (')[0].lower().replace(' ', '_').replace('-', '')}.png)"
                 for s in sets), ""]
    lines += speed_lines(args.model, args.previous)
    training = new_model.training
    runs = training_runs(training)
    val = training.get("val_macro_f1") or (runs[0]["history"][runs[0]["best_epoch"] - 1]["val_macro_f1"] if runs else "")
    lines += ["", f"New model: `tools/train_text_model.py`; training summary: {len(runs)} run(s), best epochs "
              f"{[r['best_epoch'] for r in runs]}, {training.get('train_items')} training items "
              f"{training.get('train_by_corpus')}, validation macro-F1 per corpus {val}, "
              f"temperature {training.get('temperature')}, class bias {training.get('bias')}."]
    write_section("text-real", "## Text emotion on real language (the default text model)\n\n" + "\n".join(lines), DOC)
    print("\n".join(lines))
    print(f"peak RSS of this run: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
