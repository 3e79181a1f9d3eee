"""Feature store and training benchmarks; writes its section of docs/benchmarks.md.

    python benchmarks/bench_store.py [--samples 40] [--rows 260000]

1. extraction throughput (samples/s): local (1 process) vs Ray (2 CPUs), same generated dataset;
2. analyze of the same 60 s video, cold (empty store) vs cached (second run);
3. one training epoch on N synthetic feature rows in memory-mapped arrays, with peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the test-media generator

import numpy as np  # noqa: E402
from _doc import machine, write_section  # noqa: E402
from _media import SENTENCES, talking_video  # noqa: E402

from synth import silence, speak, write_wav  # noqa: E402

LABELS_FOR = ["happy", "neutral", "angry", "neutral", "surprise", "sad", "disgust", "fear", "happy", "neutral"]


def make_manifest(folder: Path, n: int) -> Path:
    rows = [["path", "label", "text", "speaker"]]
    for i in range(n):
        line = SENTENCES[i % len(SENTENCES)]
        name = f"s{i}.wav"
        write_wav(folder / name, np.concatenate([silence(0.2), speak(line, speed=140 + 3 * i), silence(0.2)]))
        rows.append([name, LABELS_FOR[i % len(LABELS_FOR)], line, f"spk{i % 5}"])
    with open(folder / "manifest.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return folder / "manifest.csv"


def time_extract(manifest: Path, store: Path, *extra: str) -> float:
    cmd = [sys.executable, "-m", "unlock_feeling.cli", "extract", str(manifest), "--format", "manifest",
           "--store", str(store), *extra]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def epoch_child(folder: str) -> None:
    """Run in a fresh process on arrays written by the parent, so that its memory is the training's."""
    import json

    import torch

    from unlock_feeling.train.data import FeatureMatrix
    from unlock_feeling.train.loop import TrainConfig, train

    meta = json.loads((Path(folder) / "meta.json").read_text())
    features = {m: np.load(Path(folder) / f"{m}.npy", mmap_mode="r") for m in ("text", "voice", "face")}
    present = {m: np.load(Path(folder) / f"{m}.present.npy") for m in ("text", "voice", "face")}
    n = len(meta["labels"])
    matrix = FeatureMatrix(features, present, np.array(meta["labels"]), np.array(meta["splits"]),  # type: ignore[arg-type]
                           np.array([""] * n), np.arange(n).astype(str), "{}", meta["dims"])
    torch.set_num_threads(2)
    t0 = time.perf_counter()
    train(matrix, TrainConfig(stages=(("text", "voice", "face"),), epochs=1, batch_size=512, patience=1))
    seconds = time.perf_counter() - t0
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    anon = int(status.get("RssAnon", "0 kB").split()[0]) / 1024
    file_backed = int(status.get("RssFile", "0 kB").split()[0]) / 1024
    print(f"{seconds:.3f} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} {file_backed:.0f} {anon:.0f}")


def write_synthetic(folder: Path, rows: int) -> None:
    import json

    from unlock_feeling.train.data import synthetic_matrix

    matrix = synthetic_matrix(rows, folder=folder)
    for m, mask in matrix.present.items():
        np.save(folder / f"{m}.present.npy", mask)
    (folder / "meta.json").write_text(json.dumps({"labels": matrix.labels.tolist(), "splits": matrix.splits.tolist(),
                                                  "dims": matrix.dims}))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--rows", type=int, default=260_000)
    ap.add_argument("--epoch-child", default="", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.epoch_child:
        epoch_child(args.epoch_child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        manifest = make_manifest(tmp, args.samples)
        local = time_extract(manifest, tmp / "local")
        ray = time_extract(manifest, tmp / "ray", "--engine", "ray", "--workers", "2")

        from unlock_feeling.pipeline import AnalyzeOptions, Analyzer

        video = talking_video(tmp / "v.mp4", 60.0)
        warm = Analyzer(AnalyzeOptions())
        warm.analyze(video)  # load every model once, outside the timings
        cold_analyzer = Analyzer(AnalyzeOptions(store=str(tmp / "cache")))
        for name in ("transcriber", "text_extractor", "face_extractor"):
            setattr(cold_analyzer, name, getattr(warm, name))  # share loaded models: cold = compute, not loading
        t0 = time.perf_counter()
        cold_analyzer.analyze(video)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        Analyzer(AnalyzeOptions(store=str(tmp / "cache"))).analyze(video)
        cached = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as arrays:
        write_synthetic(Path(arrays), args.rows)
        out = subprocess.run([sys.executable, __file__, "--epoch-child", arrays], check=True,
                             capture_output=True, text=True).stdout.split()
    epoch, rss, file_backed, anon = (float(x) for x in out[-4:])
    from unlock_feeling.train.data import default_dims

    width = sum(default_dims().values())
    lines = [
        "## Feature store, extraction and training",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} by `python benchmarks/bench_store.py`.",
        "",
        "| what | result | goal |",
        "|---|---:|---:|",
        f"| extract {args.samples} generated speech samples (text + voice), local, 1 process | "
        f"{local:.1f} s = {args.samples / local:.2f} samples/s | |",
        f"| same, Ray, 2 CPUs (includes starting Ray) | {ray:.1f} s = {args.samples / ray:.2f} samples/s | |",
        f"| analyze 60 s video, cold (empty store, models already loaded) | {cold:.2f} s | |",
        f"| analyze same video again, cached (fresh Analyzer, nothing loaded) | {cached:.3f} s "
        f"(**{cold / cached:.0f}× faster**) | ≥ 50× |",
        f"| one training epoch, {args.rows:,} synthetic stored rows ({width}-d, memory-mapped), 2 threads | "
        f"{epoch:.1f} s | ≤ 10 s |",
        f"| memory of that training process: peak RSS; at the end file-backed / anonymous RSS | {rss:.0f} MB; "
        f"{file_backed:.0f} MB / {anon:.0f} MB | bounded |",
        "",
        "Both extraction timings include process start-up and model loading (a few seconds), so small "
        "datasets understate the steady-state rate. The training epoch includes computing the "
        "standardisation statistics and one validation pass. Peak RSS counts the file-backed pages of the "
        f"memory-mapped feature arrays ({args.rows * width * 4 / 1e6:.0f} MB of data, reclaimable by the OS); the "
        "anonymous RSS is the process's own memory, which grows only by a few bytes per row (labels, masks, "
        "shuffled indices). Ray loses on a dataset this small because "
        "starting it costs more than it saves.",
    ]
    write_section("store", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
