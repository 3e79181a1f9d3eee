"""Face stage throughput: faces per second for detection + expression, one frame at a time vs in
batches of 16 (the pipeline's batch size); writes its section of docs/benchmarks.md.

    python benchmarks/bench_face.py
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import skimage.data

sys.path.insert(0, str(Path(__file__).parent))
from _doc import machine, write_section  # noqa: E402

from unlock_feeling.extract.face import FaceAnalyzer, FaceFeatureConfig  # noqa: E402


def rate(analyzer: FaceAnalyzer, frames: list[tuple[float, np.ndarray]], batch: int) -> float:
    t0 = time.perf_counter()
    for i in range(0, len(frames), batch):
        analyzer.frames(frames[i:i + batch])
    return len(frames) / (time.perf_counter() - t0)


def main() -> None:
    face = skimage.data.astronaut()
    canvas = np.full((360, 640, 3), 128, np.uint8)
    canvas[:, 140:500] = np.asarray(__import__("PIL.Image", fromlist=["Image"]).fromarray(face).resize((360, 360)))
    frames = [(float(i), canvas) for i in range(200)]
    lines = ["## Face stage", "",
             f"Measured {dt.date.today().isoformat()} on {machine()} by `python benchmarks/bench_face.py`: 200 frames "
             "640×360 with one face; BlazeFace short + full range, crop, expression model(s), 2 threads.", "",
             "| expression model | faces/s, one at a time | faces/s, batches of 16 |", "|---|---:|---:|"]
    for model in ("faceapi", "fer", "ensemble"):
        analyzer = FaceAnalyzer(FaceFeatureConfig(expression=model))
        analyzer.frames(frames[:4])  # load and warm up
        lines.append(f"| {model} | {rate(analyzer, frames, 1):.0f} | {rate(analyzer, frames, 16):.0f} |")
    lines += ["", "At the default 5 frames per second of speech, the ensemble needs well under 0.1 s per second "
              "of video for the face; frame decoding comes on top (see the analyze table)."]
    write_section("face", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
