"""Real-time factor of `analyze`, per stage, on a generated 60 s 720p video, beside bare
faster-whisper `transcribe` (defaults) on the same audio, in the same run.

    python benchmarks/bench_analyze.py [--seconds 60]      # writes its section of docs/benchmarks.md

RTF = processing time / media duration. Models are loaded (and warmed up) before timing; model
loading is reported separately.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _doc import machine, write_section  # noqa: E402
from _media import talking_video  # noqa: E402

from unlock_feeling.media import load_audio, probe  # noqa: E402
from unlock_feeling.pipeline import AnalyzeOptions, Analyzer  # noqa: E402
from unlock_feeling.segment.asr import AsrConfig  # noqa: E402

STAGES = ("decode", "vad", "asr", "speakers", "text", "face", "voice", "fuse")


def timed_analyze(analyzer: Analyzer, path: Path) -> tuple[float, dict[str, float], int]:
    marks: dict[str, list[float]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        marks.setdefault(stage, [now, now])[1] = now

    t0 = time.perf_counter()
    df = analyzer.analyze(path, progress)
    total = time.perf_counter() - t0
    return total, {s: marks[s][1] - marks[s][0] for s in STAGES if s in marks}, len(df)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        video = talking_video(Path(tmp) / "bench.mp4", args.seconds)
        duration = probe(video).duration
        analyzer = Analyzer(AnalyzeOptions())
        t0 = time.perf_counter()
        timed_analyze(analyzer, video)  # cold: loads every model
        cold = time.perf_counter() - t0
        runs = [timed_analyze(analyzer, video) for _ in range(2)]
        total, stages, rows = min(runs, key=lambda r: r[0])
        greedy = Analyzer(AnalyzeOptions(asr=AsrConfig(beam_size=1)))
        timed_analyze(greedy, video)
        greedy_total, greedy_stages, _ = timed_analyze(greedy, video)

        from faster_whisper import WhisperModel

        from unlock_feeling.models.registry import model_path

        audio = load_audio(video)
        fw = WhisperModel(str(model_path("whisper-base")), device="cpu", compute_type="int8", cpu_threads=2)
        t0 = time.perf_counter()
        segments, _ = fw.transcribe(audio)
        n_fw = len(list(segments))
        bare = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        "## analyze: real-time factor per stage",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} by `python benchmarks/bench_analyze.py`.",
        f"Input: generated {duration:.1f} s 1280×720 25 fps H.264/AAC video, espeak-ng English speech "
        f"({rows} utterances found), one face in every frame. Defaults: whisper-base int8, beam 5, "
        f"batch {AsrConfig().batch_size}, "
        "face at 5 fps (ensemble), 2 threads. Best of 2 warm runs; models loaded before timing.",
        "",
        "| stage | seconds | RTF |",
        "|---|---:|---:|",
    ]
    lines += [f"| {s} | {t:.2f} | {t / duration:.3f} |" for s, t in stages.items()]
    lines += [
        f"| **whole analyze (warm)** | **{total:.2f}** | **{total / duration:.3f}** |",
        f"| whole analyze, first call (loads models) | {cold:.2f} | {cold / duration:.3f} |",
        f"| asr with `--beam-size 1` (greedy) instead | {greedy_stages['asr']:.2f} | {greedy_stages['asr'] / duration:.3f} |",
        f"| whole analyze with `--beam-size 1` | {greedy_total:.2f} | {greedy_total / duration:.3f} |",
        f"| bare faster-whisper `transcribe()` defaults (beam 5, sequential), same audio | {bare:.2f} | {bare / duration:.3f} |",
        "",
        f"'face' includes decoding and scaling the sampled video frames; it runs on its own thread while 'asr' runs, so the two overlap and the stage times do not add up. Bare faster-whisper produced {n_fw} "
        f"segments. Peak RSS of the benchmark process: {rss:.0f} MB.",
        "Goal from issue #3: whole analyze at RTF ≤ 0.125.",
        "",
    ]
    write_section("analyze", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
