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
    for rows, minimum in ((train, 145), (test, 30)):
        counts = {label: sum(r["label"] == label for r in rows) for label in LABELS}
        assert set(r["label"] for r in rows) == set(LABELS)
        assert min(counts.values()) >= minimum, counts


@pytest.mark.parametrize("name", ["ko_test.tsv", "en_test.tsv", "hard/ko_hard_test.tsv", "hard/en_hard_test.tsv"])
def test_no_test_sentence_in_training(name):
    lang = Path(name).name.split("_")[0]
    train = {r["text"].strip().lower() for f in CORPUS.rglob(f"{lang}_*train.tsv") for r in read(f)}
    assert not [r["text"] for r in read(name) if r["text"].strip().lower() in train]


def test_hard_sets_are_balanced_and_test_only():
    """The hard held-out sets: 20 sentences per emotion per language, none twice, and no recipe reads
    them (own_items takes corpus/ only, not its subfolders)."""
    from unlock_feeling.datasets.text import own_hard_items, own_items

    hard = own_hard_items(CORPUS)
    for lang in ("ko", "en"):
        rows = [r for r in hard if r.dataset == f"own-hard-{lang}"]
        assert {label: sum(r.label == label for r in rows) for label in LABELS} == {label: 20 for label in LABELS}
        assert len({r.text for r in rows}) == len(rows) == 140
    assert {r.split for r in hard} == {"test"}
    assert not {r.text for r in hard} & {r.text for r in own_items(CORPUS)}


def test_trial_halves_split_every_sentence_once_and_stay_out_of_the_default():
    """own_trial_items: each trial sentence lands in exactly one part, the held-out share follows
    `held_out` (by text hash, so a run and its benchmark agree), and the default's own items hold none."""
    from unlock_feeling.datasets.text import own_items, own_trial_items

    half = own_trial_items(CORPUS, "implicit_train")
    rows = {lang: read(f"trial/{lang}_implicit_train.tsv") for lang in ("ko", "en")}
    assert sorted((r.text, r.label) for r in half) == sorted((r["text"], r["label"]) for v in rows.values() for r in v)
    assert {r.dataset for r in half} == {"own-ko", "own-en"}
    share = sum(r.split == "test" for r in half) / len(half)
    assert 0.35 < share < 0.65
    assert {r.split for r in own_trial_items(CORPUS, "implicit_train", held_out=0.0)} == {"train"}
    assert {r.split for r in own_trial_items(CORPUS, "implicit_train", held_out=1.0)} == {"test"}
    assert [r.split for r in half] == [r.split for r in own_trial_items(CORPUS, "implicit_train")]
    assert not {r.text for r in half} & {r.text for r in own_items(CORPUS)}


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


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_no_training_sentence_is_a_near_copy_of_a_held_out_one(lang):
    """Held-out sentences (test and hard) must not be near copies of training ones ("The ice is
    cracking under us." against "The ice is cracking under us!", or one word changed), or the
    held-out scores are inflated."""
    from unlock_feeling.datasets.text import near_copy, trigrams

    held = [(name, r["text"], trigrams(r["text"]))
            for name in (f"{lang}_test.tsv", f"hard/{lang}_hard_test.tsv") for r in read(name)]
    training = [(path.name, r["text"], trigrams(r["text"]))
                for path in CORPUS.rglob(f"{lang}_*train.tsv") for r in read(path)]
    copies = [(file, sentence, name, text)
              for file, sentence, g in training for name, text, h in held if near_copy(g, h)]
    assert not copies


def test_near_copy():
    from unlock_feeling.datasets.text import near_copy, trigrams

    assert near_copy(trigrams("The ice is cracking under us!"), trigrams("the ice is cracking under us."))
    assert near_copy(trigrams("제발 나 혼자 두지 마."), trigrams("제발 나 혼자 두지마"))
    assert not near_copy(trigrams("The ice is cracking under us!"), trigrams("We moved the meeting to room B."))
    assert not near_copy(trigrams("I set out two cups this morning."), trigrams("Nobody came to my birthday dinner."))
