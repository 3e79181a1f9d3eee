"""Feature store, extraction (local, Ray, killed and resumed, concurrent), training, evaluation and
analysis with a trained model — end to end on generated fixtures."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from unlock_feeling.cli import app
from unlock_feeling.labels import LABELS
from unlock_feeling.store import FeatureKey, FeatureStore

from dataset_fixtures import make_aihub_speech, make_aihub_video, make_manifest

runner = CliRunner()
CLI = [sys.executable, "-m", "unlock_feeling.cli"]


def cli(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def _all_readable(store: Path) -> None:
    for shard in store.rglob("*.parquet"):
        pq.read_table(shard)  # raises on a corrupt shard
    assert not [p for p in store.rglob(".tmp-*")]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("training data")
    return {"speech": make_aihub_speech(d / "speech", speakers=3), "video": make_aihub_video(d / "video"),
            "manifest": make_manifest(d / "manifest")}


def test_store_roundtrip_and_temporary_files(tmp_path):
    store = FeatureStore(tmp_path)
    key = FeatureKey("abc", 0.0, 1.5, "voice-prosody", "1", "cfg")
    store.put("voice-prosody", [(key, np.arange(4, dtype=np.float32), {"f0": 100.0})])
    (tmp_path / "features" / "voice-prosody" / ".tmp-deadbeef.parquet").write_bytes(b"half a file")
    fresh = FeatureStore(tmp_path)
    got = fresh.get(key)
    assert got is not None and np.array_equal(got.vector, np.arange(4)) and got.meta == {"f0": 100.0}
    assert not fresh.has(FeatureKey("abc", 0.0, 1.5, "voice-prosody", "2", "cfg"))  # other version
    assert fresh.stored_size(key) == 4 and fresh.stored_size(FeatureKey("x", 0, 0, "voice-prosody", "1", "c")) is None
    assert fresh.clean_temporary() == 1


@pytest.mark.slow
def test_extract_train_evaluate_analyze(data, tmp_path):
    store, model = tmp_path / "store", tmp_path / "모델"
    out = cli("extract", data["speech"], "--format", "aihub-speech", "--store", store)
    assert "already in the store" in out
    cli("extract", data["video"], "--format", "aihub-video", "--store", store)
    _all_readable(store)
    out = cli("train", "--store", store, "--out", model, "--epochs", "30")
    assert "stage text+voice:" in out and "stage text+voice+face:" in out
    cfg = json.loads((model / "config.json").read_text())
    assert cfg["labels"] == list(LABELS) and (model / "model.safetensors").exists()
    assert set(json.loads(cfg["extractors"])) == {"text-emotion-e5", "voice-prosody", "face-expression"}
    out = cli("evaluate", model, "--store", store, "--split", "val")
    assert "fused" in out and "voice" in out
    metrics = json.loads((model / "eval-val" / "metrics.json").read_text())
    fused = next(m for m in metrics if m["name"] == "fused")
    text = next(m for m in metrics if m["name"] == "text")
    # the labels follow the sentences: a fusion that learned nothing would sit near 1/7
    assert fused["samples"] >= 10 and fused["accuracy"] >= 0.75 and text["accuracy"] >= 0.75, metrics
    for name in ("fused", "text", "voice"):
        assert (model / "eval-val" / f"confusion_{name}.png").stat().st_size > 1000
        assert (model / "eval-val" / f"confusion_{name}.csv").exists()
    # analyze with the trained model: voice probabilities now exist
    from unlock_feeling.pipeline import analyze

    clip = next(Path(data["video"]).glob("*-1.mp4"))
    df = analyze(clip, model=str(model), language="ko")
    assert df[[f"voice_{label}" for label in LABELS]].notna().all().all()
    assert np.allclose(df[list(LABELS)].sum(axis=1), 1)
    assert set(df["modalities"]) == {"text+face+voice"} or all("voice" in m for m in df["modalities"])


@pytest.mark.slow
def test_single_stage_training(data, tmp_path):
    store, model = tmp_path / "store", tmp_path / "single"
    cli("extract", data["manifest"], "--format", "manifest", "--store", store)
    out = cli("train", "--store", store, "--out", model, "--stages", "single", "--epochs", "20")
    assert "stage text+face+voice:" in out
    stages = json.loads((model / "config.json").read_text())["training"]["stages"]
    assert len(stages) == 1 and stages[0]["val_samples"] > 0


@pytest.mark.slow
def test_config_change_recomputes_only_that_extractor(data, tmp_path):
    store = tmp_path / "store"
    cli("extract", data["video"], "--format", "aihub-video", "--store", store, "--fps", "2")
    count = {name: len(list((store / "features" / name).glob("*.parquet")))
             for name in ("text-emotion-e5", "voice-prosody", "face-expression")}
    cli("extract", data["video"], "--format", "aihub-video", "--store", store, "--fps", "3")
    after = {name: len(list((store / "features" / name).glob("*.parquet"))) for name in count}
    assert after["text-emotion-e5"] == count["text-emotion-e5"] and after["voice-prosody"] == count["voice-prosody"]
    assert after["face-expression"] > count["face-expression"]
    # and the same settings again recompute nothing at all
    out = cli("extract", data["video"], "--format", "aihub-video", "--store", store, "--fps", "3")
    assert "0 extracted" in out


@pytest.mark.slow
def test_kill_and_resume(data, tmp_path):
    store = tmp_path / "store"
    cmd = CLI + ["extract", str(data["speech"]), "--format", "aihub-speech", "--store", str(store), "--chunk-size", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline and len(list((store / "samples").rglob("*.parquet"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = len(list((store / "samples").rglob("*.parquet")))
    assert committed >= 2
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    import re

    already = int(re.search(r"(\d+) already in the store", done.stdout).group(1))
    extracted = int(re.search(r"(\d+) extracted", done.stdout).group(1))
    total = int(re.search(r"(\d+) samples", done.stdout).group(1))
    assert already >= committed * 2 - 1 and already >= 2  # the committed chunks were not redone
    assert already + extracted + int(re.search(r"(\d+) skipped", done.stdout).group(1)) == total
    assert extracted > 0 or already == total
    _all_readable(store)
    from unlock_feeling.train.data import read_manifest

    manifest, _ = read_manifest(store)
    from unlock_feeling.datasets import load_dataset

    samples, _ = load_dataset(data["speech"], "aihub-speech")
    assert set(manifest["id"]) == {s.id for s in samples}


@pytest.mark.slow
def test_two_processes_share_a_store(data, tmp_path):
    store = tmp_path / "store"
    cmd = CLI + ["extract", str(data["manifest"]), "--format", "manifest", "--store", str(store), "--chunk-size", "3"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
    _all_readable(store)
    from unlock_feeling.train.data import build_matrix

    matrix = build_matrix(store)
    assert len(matrix) == 28 and matrix.present["text"].all() and matrix.present["voice"].all()


@pytest.mark.slow
def test_ray_and_local_give_identical_features(data, tmp_path):
    pytest.importorskip("ray")
    local, ray_store = tmp_path / "local", tmp_path / "ray"
    cli("extract", data["manifest"], "--format", "manifest", "--store", local)
    cli("extract", data["manifest"], "--format", "manifest", "--store", ray_store, "--engine", "ray", "--workers", "2",
        "--chunk-size", "7")
    for name in ("text-emotion-e5", "voice-prosody"):
        a = {k: v for keys, vecs in FeatureStore(local).iter_vectors(name) for k, v in zip(keys, vecs)}
        b = {k: v for keys, vecs in FeatureStore(ray_store).iter_vectors(name) for k, v in zip(keys, vecs)}
        assert a.keys() == b.keys() and len(a) > 0
        assert all(np.allclose(a[k], b[k], atol=1e-5) for k in a)


def _text_encoder_loaded(analyzer) -> bool:  # type: ignore[no-untyped-def]
    model = analyzer.text_extractor.__dict__.get("model")
    return model is not None and "encoder" in model.__dict__


def test_analyze_uses_the_store_as_cache(media, tmp_path):
    from unlock_feeling.pipeline import AnalyzeOptions, Analyzer

    store = tmp_path / "cache"
    first = Analyzer(AnalyzeOptions(store=str(store))).analyze(media["video"])
    second_analyzer = Analyzer(AnalyzeOptions(store=str(store)))
    second = second_analyzer.analyze(media["video"])
    assert first.equals(second)
    loaded = set(second_analyzer.__dict__)
    # nothing recomputed: no model was even loaded (extractor objects exist only to form keys)
    assert "transcriber" not in loaded
    assert "analyzer" not in second_analyzer.face_extractor.__dict__
    assert not _text_encoder_loaded(second_analyzer)  # the head ran on stored features


@pytest.mark.slow
def test_training_and_analysis_share_one_feature_path(media, tmp_path):
    """Features extracted for training are cache hits at analysis time, and vice versa: one path
    (extract/utterance.py) computes them, with the same keys."""
    import csv

    from unlock_feeling.pipeline import AnalyzeOptions, Analyzer

    names = ("text-emotion-e5", "voice-prosody", "face-expression")

    def shards(store: Path) -> dict[str, int]:
        return {n: len(FeatureStore(store).shards(n)) for n in names}

    first = tmp_path / "analysed first"
    rows = Analyzer(AnalyzeOptions(store=str(first), speakers=False)).analyze(media["video"])
    manifest = tmp_path / "rows.csv"
    with open(manifest, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "start", "end", "text", "label", "split"])
        for r in rows.itertuples():
            w.writerow([media["video"], r.start, r.end, r.text, r.emotion, "train"])
    before = shards(first)
    assert all(before.values())
    cli("extract", manifest, "--format", "manifest", "--store", first)
    assert shards(first) == before  # every feature was already there: nothing computed or written
    from unlock_feeling.train.data import read_manifest

    extracted, _ = read_manifest(first)
    assert len(extracted) == len(rows)
    assert (extracted["text_key"] != "").all() and (extracted["voice_key"] != "").all()
    assert (extracted["face_key"] != "").all()

    second = tmp_path / "extracted first"
    cli("extract", manifest, "--format", "manifest", "--store", second)
    analyzer = Analyzer(AnalyzeOptions(store=str(second), speakers=False))
    stored = shards(second)
    again = analyzer.analyze(media["video"])
    assert shards(second) == stored  # text, voice and face all came from the store
    # recognition ran (segments are not a training feature), but no feature model was loaded
    assert not _text_encoder_loaded(analyzer)
    assert "analyzer" not in analyzer.face_extractor.__dict__
    assert np.allclose(again[list(LABELS)].to_numpy(float), rows[list(LABELS)].to_numpy(float), atol=1e-6)
