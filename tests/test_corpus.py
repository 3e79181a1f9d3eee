"""The labelled text corpus: sizes, labels, and train/test separation."""

import csv
from pathlib import Path

import pytest

from unlock_feeling.labels import LABELS

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
"""The training files of the default recipe; `corpus/trial/` holds sentences kept out of it (tried,
not adopted) that must meet the same rules."""


def read(name):
    with open(CORPUS / name, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_sizes_and_labels(lang):
    train, test = read(f"{lang}_train.tsv"), read(f"{lang}_test.tsv")
    for rows, minimum in ((train, 150), (test, 30)):
        counts = {label: sum(r["label"] == label for r in rows) for label in LABELS}
        assert set(r["label"] for r in rows) == set(LABELS)
        assert min(counts.values()) >= minimum, counts


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_no_test_sentence_in_training(lang):
    train = {r["text"].strip().lower() for f in CORPUS.rglob(f"{lang}_*train.tsv") for r in read(f)}
    assert not [r["text"] for r in read(f"{lang}_test.tsv") if r["text"].strip().lower() in train]


@pytest.mark.parametrize("name", sorted(str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*_train.tsv")))
def test_every_training_file_is_labelled_and_unique(name):
    """Every training file (explicit, chat, spoken dialogue): our labels only, every emotion present,
    no sentence twice, and none in the other training files of its language."""
    rows = read(name)
    assert {r["label"] for r in rows} == set(LABELS)
    texts = [r["text"].strip().lower() for r in rows]
    assert len(texts) == len(set(texts))
    lang = Path(name).name.split("_")[0]
    others = {r["text"].strip().lower() for f in CORPUS.rglob(f"{lang}_*train.tsv")
              if f != CORPUS / name for r in read(f)}
    assert not set(texts) & others
