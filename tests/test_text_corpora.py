"""Label tables and readers of the real text corpora (tiny fixtures in each corpus's own layout)."""

from __future__ import annotations

import pytest

from unlock_feeling.datasets.base import load_dataset
from unlock_feeling.datasets.text import (
    GOEMOTIONS_NAMES, GOEMOTIONS_TO_LABEL, KOTE_NAMES, KOTE_TO_LABEL, MELD_TO_LABEL, XED_NAMES, XED_TO_LABEL, TextItem,
    goemotions_items, kote_items, meld_items, read_manifest, shares_of, vote, write_manifest, xed_items,
)
from unlock_feeling.labels import LABELS


def test_tables_cover_the_corpora_and_only_our_labels():
    assert set(GOEMOTIONS_TO_LABEL) == set(GOEMOTIONS_NAMES)  # the Ekman mapping covers all 28
    assert set(KOTE_TO_LABEL) < set(KOTE_NAMES) and len(KOTE_NAMES) == 44
    assert set(XED_TO_LABEL) == set(XED_NAMES) - {"anticipation", "trust"}
    for table in (GOEMOTIONS_TO_LABEL, KOTE_TO_LABEL, MELD_TO_LABEL, XED_TO_LABEL):
        assert set(table.values()) == set(LABELS)
    assert GOEMOTIONS_TO_LABEL["nervousness"] == "fear" and GOEMOTIONS_TO_LABEL["disapproval"] == "angry"
    assert KOTE_TO_LABEL["없음"] == "neutral" and KOTE_TO_LABEL["짜증"] == "angry"
    assert "당황/난처" not in KOTE_TO_LABEL


def test_vote():
    assert vote(["기쁨", "행복", "슬픔"], KOTE_TO_LABEL) == ("happy", pytest.approx(2 / 3))
    assert vote(["기쁨", "슬픔"], KOTE_TO_LABEL) is None  # a tie
    assert vote(["당황/난처"], KOTE_TO_LABEL) is None  # nothing maps


def test_shares_of_counts_the_mapped_tags():
    assert shares_of(["기쁨", "행복", "슬픔", "당황/난처"], KOTE_TO_LABEL) == (
        ("happy", pytest.approx(2 / 3)), ("sad", pytest.approx(1 / 3)))
    assert shares_of(["당황/난처"], KOTE_TO_LABEL) == ()


def test_readers(tmp_path):
    g = tmp_path / "goemotions"
    g.mkdir()
    (g / "train.tsv").write_text("so happy\t17\ta\nwow and ugh\t26,2\tb\nok then\t27\tc\n", encoding="utf-8")
    (g / "dev.tsv").write_text("scared\t14,19\td\n", encoding="utf-8")
    (g / "test.tsv").write_text("sad\t25\te\n", encoding="utf-8")
    items = goemotions_items(g)
    assert [(i.text, i.label, i.split) for i in items] == [
        ("so happy", "happy", "train"), ("ok then", "neutral", "train"), ("scared", "fear", "val"),
        ("sad", "sad", "test")]  # "wow and ugh" maps to two classes: left out
    (g / "dev.tsv").write_text("scared\t14,19\td\nhm and yay\t27,17\tf\n", encoding="utf-8")
    mixed = goemotions_items(g, mixed=True)  # only the training items with several classes
    assert [(i.text, i.label, i.split, i.weight, i.shares) for i in mixed] == [
        ("wow and ugh", "surprise", "train", 0.5, (("surprise", 0.5), ("angry", 0.5)))]  # a tie: first in LABELS

    k = tmp_path / "kote"
    k.mkdir()
    ids = {name: str(i) for i, name in enumerate(KOTE_NAMES)}
    (k / "val.tsv").write_text(f"1\t너무 좋아요\t{ids['기쁨']},{ids['행복']},{ids['슬픔']}\n"
                               f"2\t어머\t{ids['당황/난처']}\n"
                               f"4\t무섭고 화나\t{ids['공포/무서움']},{ids['화남/분노']},{ids['당황/난처']}\n", encoding="utf-8")
    (k / "test.tsv").write_text(f"3\t짜증나\t{ids['짜증']},{ids['화남/분노']}\n"
                                f"5\t좋고 슬퍼\t{ids['기쁨']},{ids['슬픔']}\n", encoding="utf-8")
    items = kote_items(k, val_share=0.0)
    assert [(i.text, i.label, i.split, i.weight) for i in items] == [
        ("너무 좋아요", "happy", "train", pytest.approx(0.667, abs=1e-3)), ("짜증나", "angry", "test", 1.0)]
    assert items[0].shares == (("happy", pytest.approx(2 / 3)), ("sad", pytest.approx(1 / 3)))
    assert items[1].shares == ()  # one class: its label says it all
    mixed = kote_items(k, val_share=0.0, mixed=True)  # the ties, training split only (not the test's)
    assert [(i.text, i.label, i.split, i.weight, i.shares) for i in mixed] == [
        ("무섭고 화나", "fear", "train", 0.5, (("fear", 0.5), ("angry", 0.5)))]

    m = tmp_path / "meld"
    m.mkdir()
    header = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n"
    for split in ("train", "dev", "test"):
        (m / f"{split}.csv").write_text(header + f'1,"Oh my God, no!",Ross,{"joy" if split == "train" else "anger"},'
                                        'negative,4,2,1,1,"0:0:1,0","0:0:2,0"\n', encoding="utf-8")
    items = meld_items(m)
    assert [(i.label, i.split, i.dialogue, i.speaker) for i in items] == [
        ("happy", "train", "4/2", "Ross"), ("angry", "val", "4/2", "Ross"), ("angry", "test", "4/2", "Ross")]


def test_xed_reader(tmp_path):
    x = tmp_path / "xed"
    x.mkdir()
    ids = {name: str(i) for i, name in enumerate(XED_NAMES)}
    (x / "en-annotated.tsv").write_text(
        f"Get out of here !\t{ids['anger']}\n"  # one class
        f"I do n't believe it .\t{ids['surprise']}, {ids['joy']}\n"  # two classes: left out
        f"We 're ready .\t{ids['trust']}\n"  # nothing maps: left out
        f"Oh no ...\t{ids['fear']}, {ids['anticipation']}\n"  # partly unmapped: left out
        f"Get out of here!\t{ids['anger']}\n", encoding="utf-8")  # the same line again: once
    (x / "neu_en.txt").write_text("9\tWhere's the car?\n9\t\n", encoding="utf-8")
    items = xed_items(x, val_share=0.0, test_share=0.0)
    assert [(i.text, i.label, i.split, i.dataset) for i in items] == [
        ("Get out of here!", "angry", "train", "xed"), ("Where's the car?", "neutral", "train", "xed")]
    assert {i.split for i in xed_items(x, val_share=0.0, test_share=1.0)} == {"test"}


def test_manifest_round_trip_and_product_loader(tmp_path):
    items = [TextItem("기뻐요", "happy", "train", 0.8, dataset="kote", shares=(("happy", 0.75), ("sad", 0.25))),
             TextItem("Ugh.", "disgust", "test")]
    path = tmp_path / "corpus.csv"
    write_manifest(items, path)
    assert read_manifest(path) == items
    samples, report = load_dataset(path, "manifest")  # the same file works with `extract --format manifest`
    assert [(s.text, s.label, s.split, s.weight, s.shares) for s in samples] == [
        ("기뻐요", "happy", "train", 0.8, (("happy", 0.75), ("sad", 0.25))), ("Ugh.", "disgust", "test", 1.0, ())]
    bad = tmp_path / "bad_shares.csv"
    bad.write_text("text,label,shares\n기뻐요,happy,happy:0.5 bored:0.5\n", encoding="utf-8")
    samples, report = load_dataset(bad, "manifest")  # an unreadable distribution: the label alone, and said so
    assert samples[0].shares == () and samples[0].label == "happy"
    assert "shares are not label:share pairs" in report.summary()
    jsonl = tmp_path / "mine.jsonl"  # JSONL may give the distribution as an object
    jsonl.write_text('{"text": "무서워", "label": "fear", "shares": {"fear": 3, "공포": 1, "sad": 1}}\n', encoding="utf-8")
    samples, _ = load_dataset(jsonl, "manifest")
    assert samples[0].shares == (("fear", 0.8), ("sad", 0.2))
    with pytest.raises(ValueError):
        write_manifest([TextItem("x", "joy", "train")], tmp_path / "bad.csv")

