"""Loaders for every supported layout, on generated fixtures."""

import pytest

from unlock_feeling.datasets import load_dataset
from unlock_feeling.datasets.base import speaker_split
from unlock_feeling.errors import UserInputError
from unlock_feeling.labels import LABELS

from dataset_fixtures import make_aihub_speech, make_aihub_video, make_kemdy, make_manifest, make_meld


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    d = tmp_path_factory.mktemp("datasets")
    return {
        "aihub-speech": make_aihub_speech(d / "감성 음성", speakers=2),
        "aihub-video": make_aihub_video(d / "aihub video"),
        "kemdy": make_kemdy(d / "KEMDy20"),
        "meld": make_meld(d / "MELD.Raw"),
        "manifest": make_manifest(d / "mine"),
    }


def test_aihub_speech(roots):
    samples, report = load_dataset(roots["aihub-speech"], "aihub-speech")
    assert set(s.label for s in samples) == set(LABELS)
    assert report.skipped["label 불안 (no equivalent)"] > 0
    assert all(s.text and s.path.endswith(".wav") for s in samples)
    val = {s.speaker for s in samples if s.split == "val"}
    train = {s.speaker for s in samples if s.split == "train"}
    assert val and not (val & train)  # the Validation folder's speakers, never seen in training
    assert all(s.split in ("train", "val", "test") for s in samples)


def test_aihub_video_clips_and_images(roots):
    samples, report = load_dataset(roots["aihub-video"], "aihub-video")
    clips = [s for s in samples if s.path.endswith(".mp4")]
    images = [s for s in samples if s.path.endswith(".jpg")]
    assert len(clips) == 7 and {s.label for s in clips} == set(LABELS)
    assert all(s.text for s in clips)
    assert {s.label for s in images} == {"happy", "surprise"}


def test_kemdy(roots):
    samples, report = load_dataset(roots["kemdy"], "kemdy")
    assert len(samples) == 14
    assert {s.label for s in samples} == set(LABELS)  # 'disqust' is disgust
    assert report.skipped["several emotions (kept the first)"] == 2
    assert report.skipped["label contempt (no equivalent)"] == 1
    assert {s.speaker for s in samples} == {"User002M", "User003M"}
    assert all(s.text for s in samples)  # cp949 transcripts decoded


def test_meld(roots):
    samples, _ = load_dataset(roots["meld"], "meld")
    assert len(samples) == 21
    assert {s.split for s in samples} == {"train", "val", "test"}
    assert {s.label for s in samples} == set(LABELS)


def test_manifest_speaker_independent_split(roots):
    samples, report = load_dataset(roots["manifest"], "manifest")
    assert len(samples) == 28
    assert report.skipped["missing media file"] == 1
    assert report.skipped["label contempt (no equivalent)"] == 1
    by_speaker = {}
    for s in samples:
        by_speaker.setdefault(s.speaker, set()).add(s.split)
    assert all(len(splits) == 1 for splits in by_speaker.values())


def test_speaker_split_is_the_same_in_every_process():
    """Splits must not depend on Python's per-process string hash (PYTHONHASHSEED), or a dataset
    extracted in two runs would mix speakers across train and test."""
    import os
    import subprocess
    import sys

    here = [speaker_split(f"speaker{i}") for i in range(200)]
    code = "from unlock_feeling.datasets.base import speaker_split; print(','.join(speaker_split(f'speaker{i}') for i in range(200)))"
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip().split(",")
        assert out == here
    assert len(set(here)) == 3  # all three splits occur
    splits = [speaker_split(f"speaker{i}") for i in range(1000)]
    assert 0.7 < splits.count("train") / 1000 < 0.9
    assert 0.05 < splits.count("test") / 1000 < 0.15 and 0.05 < splits.count("val") / 1000 < 0.15


def test_bad_format_and_empty_root(tmp_path):
    with pytest.raises(UserInputError, match="unknown dataset format"):
        load_dataset(tmp_path, "nope")
    with pytest.raises(UserInputError, match="no labelled samples"):
        load_dataset(tmp_path, "meld")
