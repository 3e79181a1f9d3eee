"""Whole-process `unlock-feeling analyze` on real workloads (issue: real workloads), beside bare
faster-whisper in the same run:

- start-up: one text line, one image, a 1 s talking clip (median of 3 fresh processes each), and
  bare faster-whisper's own cold start on that clip (import + model load + `transcribe`, beam 5);
- a 60 s talking-face video: the whole process, its start-up (process time minus the same
  analysis in a warm process), and bare faster-whisper (beam 5, sequential, model preloaded);
- 30 clips of 5 s: one call with all 30 against 30 calls.

    python benchmarks/bench_workload.py            # writes its section of docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _doc import machine, write_section  # noqa: E402
from _media import talking_video  # noqa: E402

CLI = [sys.executable, "-m", "unlock_feeling.cli", "analyze"]
BARE_FW = """
import sys, time
t0 = time.perf_counter()
from faster_whisper import WhisperModel
from unlock_feeling.media.decode import load_audio
from unlock_feeling.models.registry import model_path
model = WhisperModel(str(model_path("whisper-base")), device="cpu", compute_type="int8", cpu_threads=2)
segments, _ = model.transcribe(load_audio(sys.argv[1]), beam_size=5)
list(segments)
"""


def process_seconds(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - t0


def median_of(args: list[str], n: int = 3) -> float:
    return statistics.median(process_seconds(args) for _ in range(n))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=30)
    args = ap.parse_args()
    from PIL import Image
    import skimage.data

    from unlock_feeling.media.decode import load_audio, probe
    from unlock_feeling.pipeline import AnalyzeOptions, Analyzer

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        line = d / "line.txt"
        line.write_text("오늘 정말 행복해요!\n", encoding="utf-8")
        image = d / "face.jpg"
        Image.fromarray(skimage.data.astronaut()).save(image)
        one = talking_video(d / "one.mp4", 1.5)
        long = talking_video(d / "long.mp4", 60.0)
        clips = d / "clips"
        clips.mkdir()
        paths = [talking_video(clips / f"clip{i:02d}.mp4", 5.0) for i in range(args.clips)]
        out = d / "out.csv"

        start = {
            "one text line": median_of(CLI + [str(line), "-q", "-o", str(out)]),
            "one image": median_of(CLI + [str(image), "-q", "-o", str(out)]),
            f"{probe(one).duration:.1f} s talking clip": median_of(CLI + [str(one), "-q", "-o", str(out)]),
            "bare faster-whisper cold start, same clip": median_of([sys.executable, "-c", BARE_FW, str(one)]),
        }

        whole = median_of(CLI + [str(long), "-q", "-o", str(out)], 2)
        analyzer = Analyzer(AnalyzeOptions())
        analyzer.analyze(long)  # loads everything
        t0 = time.perf_counter()
        rows = len(analyzer.analyze(long))
        warm = time.perf_counter() - t0

        from faster_whisper import WhisperModel

        from unlock_feeling.models.registry import model_path

        audio = load_audio(long)
        fw = WhisperModel(str(model_path("whisper-base")), device="cpu", compute_type="int8", cpu_threads=2)
        list(fw.transcribe(audio[:16000 * 5], beam_size=5)[0])  # warm-up
        t0 = time.perf_counter()
        n_fw = len(list(fw.transcribe(audio, beam_size=5)[0]))
        bare = time.perf_counter() - t0
        duration = probe(long).duration

        batch = process_seconds(CLI + [str(clips), "-q", "-o", str(d / "all.csv")])
        single = sum(process_seconds(CLI + [str(p), "-q", "-o", str(out)]) for p in paths)

    lines = [
        "## Whole-process workloads: start-up, a 60 s video, many clips",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} by `python benchmarks/bench_workload.py`.",
        "Fresh processes (`python -m unlock_feeling.cli analyze … -q -o out.csv`), median of 3 (2 for the "
        "60 s video). Generated media: espeak-ng English speech over a smiling face, 1280×720 25 fps.",
        "",
        "| start-up (whole process) | seconds |",
        "|---|---:|",
        *[f"| {k} | {v:.2f} |" for k, v in start.items()],
        "",
        f"| {duration:.0f} s talking-face video ({rows} rows) | seconds | × bare faster-whisper |",
        "|---|---:|---:|",
        f"| `analyze`, whole process | {whole:.2f} | {whole / bare:.2f} |",
        f"| `analyze`, warm (models loaded, in-process) | {warm:.2f} | {warm / bare:.2f} |",
        f"| start-up and model loading (difference) | {whole - warm:.2f} | |",
        f"| bare faster-whisper `transcribe`, beam 5, sequential, model preloaded ({n_fw} segments) | {bare:.2f} | 1.00 |",
        "",
        f"| {len(paths)} clips of 5 s | seconds |",
        "|---|---:|",
        f"| one call with all of them (`analyze clips/ -o all.csv`) | {batch:.1f} |",
        f"| {len(paths)} calls, one per clip | {single:.1f} |",
        "",
    ]
    write_section("workload", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
