"""An hour-long talking-face video through the whole process: wall time (RTF), peak memory, rows.

    python benchmarks/bench_long.py [--minutes 60]     # writes its section of docs/benchmarks.md
    python benchmarks/bench_long.py --real DIR         # real recordings instead (section long-real)

The video is generated: espeak-ng English sentences (with their own short pauses and 0.5 s
between them) over a smiling face, 640×360 at 25 fps, H.264/AAC. With `--real DIR`, the audio
files under DIR (sorted by path; for example the LibriSpeech samples in resemble-ai/Resemblyzer's
`audio_data/`, CC BY 4.0) are joined with 0.3 s of silence into one WAV of up to `--minutes`:
real read speech from many speakers. Peak memory is the highest resident set size of the
analysing process itself (its VmHWM).
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _doc import machine, write_section  # noqa: E402
from _media import SENTENCES  # noqa: E402
from synth import Scene, silence, speak, write_video, write_wav  # noqa: E402


RUN = """import runpy, sys
sys.argv = ["unlock-feeling", "analyze", sys.argv[1], "-q", "-o", sys.argv[2]]
try:
    runpy.run_module("unlock_feeling.cli", run_name="__main__")
except SystemExit as e:
    assert not e.code, e.code
print("peak", [line for line in open("/proc/self/status") if line.startswith("VmHWM")][0].split()[1])
"""
"""The CLI in a fresh process that reports its own peak resident memory (VmHWM, kB) at the end."""


def long_video(path: Path, minutes: float) -> Path:
    import numpy as np
    import skimage.data

    block = np.concatenate([np.concatenate([speak(s), silence(0.5)]) for s in SENTENCES])
    n = int(np.ceil(minutes * 60 * 16000 / len(block)))
    audio = np.tile(block, n)[: int(minutes * 60 * 16000)]
    return write_video(path, [Scene(skimage.data.astronaut(), audio)], size=(640, 360), fps=25)


def joined_recordings(folder: Path, path: Path, minutes: float) -> tuple[Path, int, float]:
    """The audio files under `folder`, joined with 0.3 s pauses into one WAV of at most `minutes`."""
    import numpy as np

    from unlock_feeling.media.decode import load_audio

    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".flac", ".wav", ".mp3", ".ogg"))
    parts, total, used = [], 0, 0
    for f in files:
        if total >= minutes * 60 * 16000:
            break
        wave = load_audio(f)
        parts += [wave, silence(0.3)]
        total += len(wave) + len(parts[-1])
        used += 1
    audio = np.concatenate(parts)[: int(minutes * 60 * 16000)]
    return write_wav(path, audio), used, len(audio) / 16000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--real", type=Path, help="a folder of real recordings to join instead of generated speech")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        if args.real:
            video, used, seconds = joined_recordings(args.real, Path(tmp) / "long.wav", args.minutes)
        else:
            video, seconds = long_video(Path(tmp) / "long.mp4", args.minutes), args.minutes * 60
        made = time.perf_counter() - t0
        out = Path(tmp) / "long.parquet"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", RUN, str(video), str(out)], check=True, capture_output=True,
                              text=True)
        wall = time.perf_counter() - t0
        peak = int(proc.stdout.split("peak")[-1]) / 1024
        import pandas as pd

        df = pd.read_parquet(out)
    command = (f"python benchmarks/bench_long.py{'' if args.minutes == 60 else f' --minutes {args.minutes:g}'}"
               + (f" --real {args.real}" if args.real else ""))
    if args.real:
        title = "## An hour of real recordings: whole process"
        what = (f"Input: {used} real recordings under `{args.real.name}/` joined with 0.3 s pauses into one "
                f"{seconds / 60:.1f} min 16 kHz WAV (made in {made:.0f} s). Default options.")
    else:
        title = "## An hour-long video: whole process"
        what = (f"Input: a generated {args.minutes:g} min 640×360 25 fps H.264/AAC video (made in {made:.0f} s), "
                "espeak-ng English sentences with 0.5 s pauses over a smiling face. Default options.")
    rows = df["end"] - df["start"]
    lines = [
        title,
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()} by `{command}`.",
        what,
        "",
        "| measure | value |",
        "|---|---:|",
        f"| wall time, whole process | {wall:.0f} s |",
        f"| RTF (wall time / duration) | {wall / seconds:.3f} |",
        f"| peak resident memory of the process | {peak:.0f} MB |",
        f"| rows (sentences) | {len(df)} |",
        f"| row length: median / longest | {rows.median():.1f} s / {rows.max():.1f} s |",
        f"| speakers found | {df['speaker'].nunique()} |",
        "",
        "Targets (issue: real workloads): peak ≤ 1.5 GB, RTF ≤ 0.15.",
        "",
    ]
    write_section("long-real" if args.real else "long", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
