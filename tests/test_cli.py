"""The command line: outputs, and one clear error (exit 2, no traceback, no output file) per bad input."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from unlock_feeling.cli import app
from unlock_feeling.labels import LABELS

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_output_formats(media, tmp_path, suffix):
    out = tmp_path / f"결과 table{suffix}"
    result = run("analyze", media["text"], "-o", out)
    assert result.exit_code == 0, result.output
    if suffix == ".csv":
        df = pd.read_csv(out)
    elif suffix == ".json":
        raw = json.loads(out.read_text(encoding="utf-8"))
        df = pd.DataFrame(raw["rows"])
        info = raw["unlock_feeling"]  # the header records what produced the rows
        assert info["options"]["language"] == "auto" and info["models"]["text-emotion-e5"]
        assert info["extractors"]["text-emotion-e5"][0] == "2" and info["sources"] == [media["text"].name]
    else:
        df = pd.read_parquet(out)
        assert df.attrs["unlock_feeling"]["models"]["multilingual-e5-small-q4"]  # provenance in the metadata
    assert len(df) == 3 and list(df["emotion"]) == ["happy", "angry", "sad"]
    assert "행복" in df["text"].iloc[0]
    assert abs(df[list(LABELS)].sum(axis=1) - 1).max() < 1e-6
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temp files left


def test_prints_table(media):
    result = run("analyze", media["image"])
    assert result.exit_code == 0
    assert "happy" in result.output and "face" in result.output


def test_models_command_verifies_every_model():
    result = run("models")
    assert result.exit_code == 0, result.output
    for name in ("whisper-base", "silero-vad-v6", "faceapi-expression", "fer-mini-xception", "blazeface-short-range",
                 "text-emotion-head", "multilingual-e5-small-q4"):
        assert name in result.output
    assert "mismatch" not in result.output


def _bad_inputs(media, tmp: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp / "empty.mp4"
    empty.write_bytes(b"")
    corrupt = tmp / "corrupt.mp4"
    corrupt.write_bytes(os.urandom(50_000))
    two_bytes = tmp / "two bytes.bin"  # shorter than the header some image plugins read
    two_bytes.write_bytes(b"ab")
    data = media["video"].read_bytes()
    truncated = tmp / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 3])
    latin = tmp / "latin1.txt"
    latin.write_bytes("caf\xe9 tr\xe8s \xe9nerv\xe9".encode("latin-1"))
    weird = tmp / "unknown codec.wav"  # a WAV whose format tag no decoder knows
    fmt = struct.pack("<HHIIHH", 0x9999, 1, 16000, 32000, 2, 16)
    payload = bytes(range(256)) * 200
    weird.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(payload)) + b"WAVEfmt "
                      + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(payload)) + payload)
    empty_dir = tmp / "empty folder"
    empty_dir.mkdir()
    blank_txt = tmp / "blank.txt"
    blank_txt.write_text("\n  \n", encoding="utf-8")
    huge = tmp / "huge.txt"
    with open(huge, "wb") as f:  # sparse: 25 MB without writing them
        f.truncate(25_000_000)
    return {
        "missing": (tmp / "nope.mp4", "no such file"),
        "directory": (empty_dir, "folder contains no files"),
        "empty": (empty, "file is empty"),
        "corrupt": (corrupt, "not a readable media file"),
        "two bytes": (two_bytes, "not a readable media file"),
        "truncated": (truncated, "not a readable media file"),
        "non-utf8": (latin, "not UTF-8"),
        "unsupported codec": (weird, "unsupported codec"),
        "blank text": (blank_txt, "contains no text"),
        "huge text": (huge, "text file too large"),
        "faceless image": (media["faceless_image"], "no face"),
        "silence": (media["silence"], "no speech"),
        "0.2 s clip": (media["short"], "too short"),
        "faceless silent video": (media["video_faceless_silent"], "nothing to analyse"),
    }


@pytest.mark.parametrize("case", ["missing", "directory", "empty", "corrupt", "two bytes", "truncated", "non-utf8",
                                  "unsupported codec", "blank text", "huge text",
                                  "faceless image", "silence", "0.2 s clip", "faceless silent video"])
def test_bad_input_one_clear_error(media, tmp_path, case):
    bad_dir = tmp_path / "in"
    bad_dir.mkdir()
    path, message = _bad_inputs(media, bad_dir)[case]
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "result.csv"
    result = run("analyze", path, "-o", out)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert list(out_dir.iterdir()) == []  # nothing written, not even a temp file


def test_unwritable_output_fails_before_work(media, tmp_path):
    result = run("analyze", media["text"], "-o", tmp_path / "missing dir" / "x.csv")
    assert result.exit_code == 2 and "does not exist" in result.output
    result = run("analyze", media["text"], "-o", tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "unsupported output format" in result.output


def test_unwritable_directory(media, tmp_path):
    if os.geteuid() == 0:
        target = Path("/proc") / "result.csv"  # even root cannot create files there
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        target = ro / "x.csv"
    result = run("analyze", media["text"], "-o", target)
    assert result.exit_code == 2 and "not writable" in result.output, result.output


def test_existing_output_untouched_on_failure(media, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("precious\n")
    result = run("analyze", media["silence"], "-o", out)
    assert result.exit_code == 2
    assert out.read_text() == "precious\n"


@pytest.mark.slow
def test_real_process_korean_path_and_stderr(media, tmp_path):
    """A real subprocess: exit codes, stderr message, no traceback; Korean and spaces in paths."""
    exe = [sys.executable, "-m", "unlock_feeling.cli"]
    out = tmp_path / "한국어 결과.csv"
    ok = subprocess.run(exe + ["analyze", str(media["video_ko"]), "--language", "ko", "-q", "-o", str(out)],
                        capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert pd.read_csv(out)["language"].eq("ko").all()
    bad = subprocess.run(exe + ["analyze", str(tmp_path / "없는 파일.mp4")], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "없는 파일.mp4: no such file" in bad.stderr
    assert "Traceback" not in bad.stderr + bad.stdout
    assert bad.stderr.strip().count("\n") == 0  # one line


def test_html_report_from_cli_and_report_command(media, tmp_path):
    out, page = tmp_path / "결과.parquet", tmp_path / "보고서.html"
    result = run("analyze", media["text"], "-q", "-o", out, "--html", page)
    assert result.exit_code == 0, result.output
    html = page.read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in html and "오늘 정말 행복해요!" in html  # Korean text, UTF-8
    assert 'id="timeline"' in html and "Plotly" in html and 'src="http' not in html  # plotly inlined, no CDN
    again = tmp_path / "again.html"
    result = run("report", out, "-o", again)
    assert result.exit_code == 0, result.output
    assert "오늘 정말 행복해요!" in again.read_text(encoding="utf-8")
    bad = run("report", media["text"], "-o", tmp_path / "x.html")
    assert bad.exit_code == 2 and "expected a .csv, .json or .parquet result" in bad.output


@pytest.mark.parametrize("option,value", [("--window", "0.000001"), ("--window", "nan"), ("--fps", "1000"),
                                          ("--fps", "0"), ("--beam-size", "500")])
def test_numeric_options_are_bounded(media, tmp_path, option, value):
    """A tiny window or a huge fps would make unbounded work (issue: hostile input): refused up front."""
    out = tmp_path / "r.csv"
    result = run("analyze", media["video_mute"], option, value, "-o", out)
    assert result.exit_code == 2, result.output
    assert f"error: {option} must be between" in result.output
    assert not out.exists()


def test_many_inputs_one_table_and_failures_reported(media, tmp_path):
    """Files, a folder and a glob in one call: one table, models loaded once, a bad input skipped."""
    folder = tmp_path / "clips"
    folder.mkdir()
    (folder / "a.txt").write_text("I am so happy today!\n", encoding="utf-8")
    (folder / "b.txt").write_text("너무 무서워요.\n", encoding="utf-8")
    (folder / "bad.txt").write_bytes("caf\xe9".encode("latin-1"))
    out = tmp_path / "all.parquet"
    result = run("analyze", media["text"], folder, str(tmp_path / "clips" / "a*.txt"), "-o", out)
    assert result.exit_code == 2, result.output  # one input failed
    assert "bad.txt: " in result.output and "not UTF-8" in result.output
    import pandas as pd

    df = pd.read_parquet(out)
    assert sorted(set(df["source"])) == sorted({str(media["text"]), str(folder / "a.txt"), str(folder / "b.txt")})
    assert len(df) == 3 + 1 + 1  # a.txt named twice (folder and glob) is analysed once


def test_many_inputs_one_file_each(media, tmp_path):
    out = tmp_path / "results"
    (tmp_path / "x.txt").write_text("Stop lying to me!\n", encoding="utf-8")
    result = run("analyze", media["text"], tmp_path / "x.txt", "-o", f"{out}/", "--quiet")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["lines.csv", "x.csv"]


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG that announces width×height (signature + IHDR + IEND): no pixels need to exist for
    the size check, so the test does not allocate the gigabytes a real one would decode to."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
    return path


def _faststart_truncated(src: Path, dst: Path, with_audio: bool = True) -> Path:
    """The index (moov) at the front, then only the first half of the data: the file still opens
    and announces its full length, and decoding stops in the middle."""
    import av

    whole = dst.with_name("whole " + dst.name)
    with av.open(str(src)) as inp, av.open(str(whole), "w", options={"movflags": "+faststart"}) as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if with_audio or s.type == "video"}
        for packet in inp.demux():
            if packet.dts is not None and packet.stream.index in streams:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    data = whole.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "the index should come first"
    dst.write_bytes(data[: len(data) // 2])
    whole.unlink()
    return dst


def _mute_video(path: Path) -> Path:
    from synth import Scene, silence, write_video

    rng = np.random.default_rng(0)
    scenes = [Scene(rng.integers(0, 255, (90, 160, 3), dtype=np.uint8), silence(1.0)) for _ in range(20)]
    return write_video(path, scenes, size=(160, 90), with_audio=False)


def _hostile_inputs(media, tmp: Path) -> dict[str, tuple[Path, str]]:
    fifo = tmp / "pipe.mp4"
    os.mkfifo(fifo)
    loop = tmp / "loop.mp4"
    loop.symlink_to(loop)
    dangling = tmp / "dangling.mp4"
    dangling.symlink_to(tmp / "gone.mp4")
    return {
        "fifo": (fifo, "not a regular file"),
        "symlink loop": (loop, "symbolic link loop"),
        "dangling symlink": (dangling, "broken symbolic link"),
        "bomb png": (_png_header(tmp / "bomb.png", 20000, 20000), "image too large (20000×20000"),
        "large png": (_png_header(tmp / "large.png", 12000, 12000), "image too large (12000×12000"),
        "truncated faststart": (_faststart_truncated(media["video"], tmp / "cut.mp4"), "truncated or corrupt after"),
        "truncated mute faststart": (_faststart_truncated(_mute_video(tmp / "mute.mp4"), tmp / "cut mute.mp4", False),
                                     "truncated or corrupt after"),
    }


HOSTILE = ["fifo", "symlink loop", "dangling symlink", "bomb png", "large png", "truncated faststart",
           "truncated mute faststart"]


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_input_is_one_line_exit_2(media, tmp_path, case):
    """In a real process (stderr is a pipe, not a terminal): exactly one line on stderr, exit 2,
    no output file — no hang on a FIFO, no Pillow warning, no silent partial table."""
    path, message = _hostile_inputs(media, tmp_path)[case]
    out = tmp_path / "out.csv"
    proc = subprocess.run([sys.executable, "-m", "unlock_feeling.cli", "analyze", str(path), "-o", str(out), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: "), repr(proc.stderr)
    assert message in proc.stderr
    assert not out.exists()


def test_hostile_inputs_in_a_batch_are_skipped(media, tmp_path):
    cases = _hostile_inputs(media, tmp_path)
    result = run("analyze", media["text"], *(cases[c][0] for c in HOSTILE), "-o", tmp_path / "all.csv", "-q")
    assert result.exit_code == 2
    assert f"{len(HOSTILE)} of {len(HOSTILE) + 1} inputs failed" in result.output
    assert len(pd.read_csv(tmp_path / "all.csv")) == 3  # the good file's rows are written


def test_help_uses_plain_notation():
    for command in ("analyze", "report", "extract", "train-text", "models"):
        text = run(command, "--help").output
        assert "<bool>" not in text and "{" not in text, (command, text)
    assert "analyze [OPTIONS] FILE..." in run("analyze", "--help").output


def test_models_list_fits_a_narrow_terminal():
    proc = subprocess.run([sys.executable, "-m", "unlock_feeling.cli", "models", "--no-check"], capture_output=True,
                          text=True, env={**os.environ, "COLUMNS": "80"}, timeout=120)
    assert proc.returncode == 0 and "whisper-base" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80


@pytest.mark.slow
def test_long_video_in_bounded_memory(tmp_path):
    """Three minutes of continuous talking face through the whole process: sentence rows, and the
    peak memory stays under the 1.5 GB allowed for an hour (about 1.1 GB here; it does not grow with length:
    audio is held once, frames are streamed, recognition works in batches of windows)."""
    from synth import Scene, silence, speak, write_video

    sentences = ["We finally won the championship today.", "Then the rain started to fall.",
                 "The driver was very angry.", "My sister started to cry."]
    block = np.concatenate([np.concatenate([speak(s), silence(0.4)]) for s in sentences])
    audio = np.tile(block, int(np.ceil(180 * 16000 / len(block))))[: 180 * 16000]
    import skimage.data

    video = write_video(tmp_path / "long.mp4", [Scene(skimage.data.astronaut(), audio)], size=(320, 180), fps=10)
    out = tmp_path / "long.csv"
    # the CLI in a fresh process that reports its own peak resident memory when it ends
    # (VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent, here pytest)
    run = ("import runpy, sys\n"
           "sys.argv = ['unlock-feeling', 'analyze', sys.argv[1], '-q', '-o', sys.argv[2]]\n"
           "try:\n    runpy.run_module('unlock_feeling.cli', run_name='__main__')\n"
           "except SystemExit as e:\n    assert not e.code, e.code\n"
           "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
           "print('peak', hwm.split()[1])\n")
    proc = subprocess.run([sys.executable, "-c", run, str(video), str(out)], capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stderr
    peak_mb = int(proc.stdout.split("peak")[-1]) / 1024
    df = pd.read_csv(out)
    per_block = len(block) / 16000
    assert abs(len(df) - 180 / per_block * len(sentences)) <= 0.15 * len(df)  # one row per sentence
    assert (df["end"] - df["start"]).max() < 10
    assert peak_mb < 1500, f"peak {peak_mb:.0f} MB"  # the limit set for an hour-long input
