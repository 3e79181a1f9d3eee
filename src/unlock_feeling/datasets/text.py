"""Labelled text corpora for the text-emotion model: their label tables and readers.

Each reader returns `TextItem`s (one label of LABELS, a weight for how clearly the annotators
agree on it, a split); `write_manifest` writes them as a `manifest` CSV that `load_dataset(...,
"manifest")` reads back. tools/fetch_text_corpora.py fetches the files (pinned, sha256-checked).
Mappings and licences: docs/datasets.md.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from unlock_feeling.labels import LABELS, Shares, format_shares, normalize_label, parse_shares

GOEMOTIONS_NAMES = (
    "admiration", "amusement", "anger", "annoyance", "approval", "caring", "confusion", "curiosity", "desire",
    "disappointment", "disapproval", "disgust", "embarrassment", "excitement", "fear", "gratitude", "grief", "joy",
    "love", "nervousness", "optimism", "pride", "realization", "relief", "remorse", "sadness", "surprise", "neutral",
)
"""GoEmotions' 28 labels in id order (data/emotions.txt)."""

GOEMOTIONS_TO_LABEL = {
    # GoEmotions' own Ekman mapping (data/ekman_mapping.json) onto our ids.
    **dict.fromkeys(("anger", "annoyance", "disapproval"), "angry"),
    "disgust": "disgust",
    **dict.fromkeys(("fear", "nervousness"), "fear"),
    **dict.fromkeys(("joy", "amusement", "approval", "excitement", "gratitude", "love", "optimism", "relief",
                     "pride", "admiration", "desire", "caring"), "happy"),
    **dict.fromkeys(("sadness", "disappointment", "embarrassment", "grief", "remorse"), "sad"),
    **dict.fromkeys(("surprise", "realization", "confusion", "curiosity"), "surprise"),
    "neutral": "neutral",
}

KOTE_NAMES = (
    "불평/불만", "환영/호의", "감동/감탄", "지긋지긋", "고마움", "슬픔", "화남/분노", "존경", "기대감", "우쭐댐/무시함",
    "안타까움/실망", "비장함", "의심/불신", "뿌듯함", "편안/쾌적", "신기함/관심", "아껴주는", "부끄러움", "공포/무서움", "절망",
    "한심함", "역겨움/징그러움", "짜증", "어이없음", "없음", "패배/자기혐오", "귀찮음", "힘듦/지침", "즐거움/신남", "깨달음",
    "죄책감", "증오/혐오", "흐뭇함(귀여움/예쁨)", "당황/난처", "경악", "부담/안_내킴", "서러움", "재미없음", "불쌍함/연민", "놀람",
    "행복", "불안/걱정", "기쁨", "안심/신뢰",
)
"""KOTE's 44 tags in id order (its README)."""

KOTE_TO_LABEL = {
    # Chosen to mirror GoEmotions' Ekman grouping (complaint/annoyance → angry, disappointment/
    # shame/guilt → sad, interest/realisation → surprise, anxiety → fear, contempt → disgust).
    **dict.fromkeys(("환영/호의", "감동/감탄", "고마움", "존경", "기대감", "뿌듯함", "편안/쾌적", "아껴주는", "즐거움/신남",
                     "흐뭇함(귀여움/예쁨)", "행복", "기쁨", "안심/신뢰"), "happy"),
    **dict.fromkeys(("신기함/관심", "깨달음", "경악", "놀람"), "surprise"),
    "없음": "neutral",
    **dict.fromkeys(("공포/무서움", "불안/걱정"), "fear"),
    **dict.fromkeys(("역겨움/징그러움", "증오/혐오", "한심함"), "disgust"),
    **dict.fromkeys(("불평/불만", "화남/분노", "지긋지긋", "짜증"), "angry"),
    **dict.fromkeys(("슬픔", "안타까움/실망", "절망", "패배/자기혐오", "힘듦/지침", "서러움", "죄책감", "부끄러움"), "sad"),
}
"""Unused (no single equivalent): 우쭐댐/무시함, 비장함, 의심/불신, 어이없음, 귀찮음, 당황/난처, 부담/안_내킴, 재미없음,
불쌍함/연민."""

XED_NAMES = ("neutral", "anger", "anticipation", "disgust", "fear", "joy", "sadness", "surprise", "trust")
"""XED's label ids (its README: Plutchik's eight, 1–8 in alphabetical order; neutral 0)."""

XED_TO_LABEL = {"anger": "angry", "disgust": "disgust", "fear": "fear", "joy": "happy", "sadness": "sad",
                "surprise": "surprise", "neutral": "neutral"}
"""Unused: anticipation and trust (no equivalent among our seven)."""

MELD_EMOTIONS = ("neutral", "joy", "surprise", "fear", "disgust", "anger", "sadness")
MELD_TO_LABEL: dict[str, str] = {name: label for name in MELD_EMOTIONS if (label := normalize_label(name))}
"""Identity up to spelling: the project's one alias table (labels.normalize_label) maps them."""


@dataclass(frozen=True)
class TextItem:
    text: str
    label: str
    split: str
    weight: float = 1.0
    """How clearly the annotators agree on `label` (share of the mapped tags pointing to it)."""
    speaker: str = ""
    dialogue: str = ""
    """Dialogue id and turn (`12/3`) where the corpus is conversational."""
    dataset: str = ""
    shares: Shares = ()
    """How the mapped tags spread over LABELS (a soft label), where they point to more than one."""


def shares_of(tags: Iterable[str], table: dict[str, str]) -> Shares:
    """The share of the mapped tags pointing to each class, in LABELS order; () if none maps."""
    counts = Counter(table[t] for t in tags if t in table)
    total = sum(counts.values())
    return tuple((label, counts[label] / total) for label in LABELS if counts[label]) if total else ()


def mixed_item(text: str, shares: Shares, dataset: str) -> TextItem:
    """A training item whose tags point to several classes (left out of the hard-label corpora):
    labelled with its largest share (the first in LABELS order on a tie), weighted by it."""
    label, top = max(shares, key=lambda p: p[1])
    return TextItem(text, label, "train", round(top, 3), dataset=dataset, shares=shares)


def plurality(shares: Shares) -> tuple[str, float] | None:
    """The class with the largest share, and that share; None on a tie or no share."""
    ranked = sorted(shares, key=lambda p: -p[1])
    if not ranked or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0]


def vote(tags: Iterable[str], table: dict[str, str]) -> tuple[str, float] | None:
    """The class most of the mapped tags point to, with their share; None on a tie or no mapped tag."""
    return plurality(shares_of(tags, table))


def _hash_share(text: str, part: int = 0) -> float:
    """A number in [0, 1] fixed by the text: the `part`-th 32 bits of its sha256 (another part
    gives an independent draw)."""
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[8 * part:8 * part + 8], 16) / 0xFFFFFFFF


def _holdout(text: str, share: float) -> bool:
    return _hash_share(text) < share


def goemotions_items(folder: Path, mixed: bool = False) -> list[TextItem]:
    """train/dev/test.tsv (`text \\t ids \\t comment id`): items whose labels map to one class;
    with `mixed`, instead the training items whose labels map to several (`mixed_item`)."""
    items = []
    for name, split in (("train", "train"), ("dev", "val"), ("test", "test")):
        with open(folder / f"{name}.tsv", encoding="utf-8", newline="") as f:
            for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                shares = shares_of((GOEMOTIONS_NAMES[int(i)] for i in row[1].split(",")), GOEMOTIONS_TO_LABEL)
                if len(shares) == 1 and not mixed:
                    items.append(TextItem(row[0].strip(), shares[0][0], split, 1.0, dataset="goemotions"))
                elif len(shares) > 1 and mixed and split == "train":
                    items.append(mixed_item(row[0].strip(), shares, "goemotions"))
    return items


def kote_items(folder: Path, val_share: float = 0.15, mixed: bool = False) -> list[TextItem]:
    """val.tsv → train (and a held-out part as val, by text hash), test.tsv → test; plurality vote,
    weighted by its share, with the tags' `shares_of` the classes. With `mixed`, instead the
    training items whose vote is a tie (`mixed_item`)."""
    items = []
    for name in ("val", "test"):
        with open(folder / f"{name}.tsv", encoding="utf-8", newline="") as f:
            for row in csv.reader(f, delimiter="\t"):
                tags = [KOTE_NAMES[int(i)] for i in row[2].split(",")]
                shares = shares_of(tags, KOTE_TO_LABEL)
                result = plurality(shares)
                text = row[1].strip()
                split = "test" if name == "test" else "val" if _holdout(text, val_share) else "train"
                if result is not None and not mixed:
                    items.append(TextItem(text, result[0], split, round(result[1], 3), dataset="kote",
                                          shares=shares if len(shares) > 1 else ()))
                elif result is None and shares and mixed and split == "train":
                    items.append(mixed_item(text, shares, "kote"))
    return items


def meld_items(folder: Path) -> list[TextItem]:
    items = []
    for name, split in (("train", "train"), ("dev", "val"), ("test", "test")):
        with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                items.append(TextItem(row["Utterance"].strip(), MELD_TO_LABEL[row["Emotion"]], split,
                                      speaker=row["Speaker"], dialogue=f"{row['Dialogue_ID']}/{row['Utterance_ID']}",
                                      dataset="meld"))
    return items


def _detokenize(text: str) -> str:
    """XED's subtitles are tokenised ("Get out !", "I do n't"): join punctuation back to its word."""
    text = re.sub(r" ([.,!?;:%)\]}]|'s|'re|'ve|'ll|'d|'m|n't)(?=\s|$)", r"\1", text.strip())
    return re.sub(r"([(\[{]) ", r"\1", text)


def xed_items(folder: Path, val_share: float = 0.15, test_share: float = 0.1) -> list[TextItem]:
    """XED English (movie subtitles): en-annotated.tsv (`text \t ids`; items whose labels are all
    mapped and point to one class) and neu_en.txt (`9 \t text`, neutral lines). No official split:
    by text hash, `test_share` → test, `val_share` → val, the rest → train."""
    rows: list[tuple[str, str]] = []
    with open(folder / "en-annotated.tsv", encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            names = [XED_NAMES[int(i)] for i in row[1].split(",")]
            result = vote(names, XED_TO_LABEL)
            if result and result[1] == 1.0 and all(n in XED_TO_LABEL for n in names):
                rows.append((row[0], result[0]))
    with open(folder / "neu_en.txt", encoding="utf-8", newline="") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[1].strip():
                rows.append((parts[1], "neutral"))
    items, seen = [], set()
    for raw, label in rows:
        text = _detokenize(raw)
        if len(text) < 2 or text.lower() in seen:
            continue
        seen.add(text.lower())
        u = _hash_share(text, part=1)
        split = "test" if u < test_share else "val" if u < test_share + val_share else "train"
        items.append(TextItem(text, label, split, dataset="xed"))
    return items


def own_items(corpus: Path, val_share: float = 0.15) -> list[TextItem]:
    """The project's own sentences (corpus/): <lang>_*train.tsv → train/val, <lang>_test.tsv → test."""
    items = []
    for lang in ("ko", "en"):
        for path in sorted(corpus.glob(f"{lang}_*.tsv")):
            test = path.stem.endswith("_test")
            for text, label in _labelled_tsv(path):
                split = "test" if test else "val" if _holdout(text, val_share) else "train"
                items.append(TextItem(text, label, split, dataset=f"own-{lang}"))
    return items


def own_hard_items(corpus: Path) -> list[TextItem]:
    """The project's hard held-out sentences (corpus/hard/<lang>_hard_test.tsv: implicit emotion,
    chat register, negation), test only: no recipe trains on them."""
    return [TextItem(text, label, "test", dataset=f"own-hard-{lang}")
            for lang in ("ko", "en") for text, label in _labelled_tsv(corpus / "hard" / f"{lang}_hard_test.tsv")]


def own_trial_items(corpus: Path, name: str, held_out: float = 0.5) -> list[TextItem]:
    """A trial set of own sentences (corpus/trial/<lang>_<name>.tsv, which no default recipe reads),
    split 'train' / 'test' (a `held_out` share) by an independent part of the text hash, so that a
    trial run can train on one part and be scored on the other."""
    return [TextItem(text, label, "test" if _hash_share(text, part=1) < held_out else "train", dataset=f"own-{lang}")
            for lang in ("ko", "en") for text, label in _labelled_tsv(corpus / "trial" / f"{lang}_{name}.tsv")]


NEAR_COPY = 0.5
"""Two sentences are near copies when they share at least this share of their character trigrams
(Jaccard): "The ice is cracking under us!" / "The ice is cracking under us." (0.91), or one word
changed, "Nobody came to my birthday party." / "… dinner." (0.61)."""


def trigrams(text: str) -> frozenset[str]:
    """Character trigrams of a sentence, lower-cased, spaces removed (so that Korean spacing
    variants match)."""
    s = "".join(text.lower().split())
    return frozenset(s[i:i + 3] for i in range(len(s) - 2))


def near_copy(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sentences' `trigrams` make them near copies (Jaccard ≥ NEAR_COPY)."""
    return bool(a | b) and len(a & b) >= NEAR_COPY * len(a | b)


def _labelled_tsv(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return [(row["text"], row["label"]) for row in csv.DictReader(f, delimiter="\t")]


def write_manifest(items: Iterable[TextItem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[fl.name for fl in fields(TextItem)])
        w.writeheader()
        for item in items:
            if item.label not in LABELS:
                raise ValueError(f"label {item.label!r} is not one of {LABELS}")
            w.writerow(asdict(item) | {"shares": format_shares(item.shares)})


def read_manifest(path: Path) -> list[TextItem]:
    with open(path, encoding="utf-8", newline="") as f:
        return [TextItem(r["text"], r["label"], r["split"], float(r.get("weight") or 1.0), r.get("speaker") or "",
                         r.get("dialogue") or "", r.get("dataset") or "", parse_shares(r.get("shares") or ""))
                for r in csv.DictReader(f)]
