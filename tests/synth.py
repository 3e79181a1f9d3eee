"""Synthetic test media: speech from espeak-ng and videos written with PyAV.

Used by the tests, the benchmarks and `examples/make_example.py`; never by the pipeline itself.
Needs the `espeak-ng` program for speech.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unlock_feeling.media.decode import SAMPLE_RATE, load_audio


def speak(text: str, voice: str = "en-us", speed: int = 150) -> np.ndarray:
    """espeak-ng speech as 16 kHz mono float32."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "s.wav"
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-w", str(wav), text], check=True,
                       capture_output=True)
        return load_audio(wav)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32)


@dataclass(frozen=True)
class Scene:
    """`image` (RGB uint8, or None for a blank frame) shown while `audio` plays."""

    image: np.ndarray | None
    audio: np.ndarray


def write_wav(path: str | Path, audio: np.ndarray, codec: str = "pcm_s16le") -> Path:
    import av

    path = Path(path)
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=SAMPLE_RATE, layout="mono")
        _write_audio(out, stream, audio)
    return path


def _write_audio(out, stream, audio: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    import av

    fmt = stream.codec_context.format.name if stream.codec_context.format else "s16"
    size = stream.codec_context.frame_size or 1024
    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    resampler = av.AudioResampler(format=fmt, layout="mono", rate=SAMPLE_RATE)
    pts = 0
    for i in range(0, len(pcm), size):
        frame = av.AudioFrame.from_ndarray(pcm[None, i:i + size], format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = pts
        pts += frame.samples
        for f in resampler.resample(frame):
            out.mux(stream.encode(f))
    for f in resampler.resample(None):
        out.mux(stream.encode(f))
    out.mux(stream.encode(None))


def write_video(path: str | Path, scenes: Sequence[Scene], size: tuple[int, int] = (640, 360),
                fps: int = 10, with_audio: bool = True) -> Path:
    """An H.264/AAC MP4: each scene's image centred on a grey canvas for the length of its audio."""
    import av

    from unlock_feeling.media.image import resize

    path = Path(path)
    w, h = size
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "veryfast", "crf": "28"}
        as_ = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if with_audio else None
        n = 0
        for scene in scenes:
            canvas = np.full((h, w, 3), 128, dtype=np.uint8)
            if scene.image is not None:
                ih, iw = scene.image.shape[:2]
                s = min(h / ih, w / iw)
                img = resize(scene.image, (int(iw * s) // 2 * 2, int(ih * s) // 2 * 2))
                y, x = (h - img.shape[0]) // 2, (w - img.shape[1]) // 2
                canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
            frames = max(1, int(round(len(scene.audio) / SAMPLE_RATE * fps)))
            for _ in range(frames):
                frame = av.VideoFrame.from_ndarray(canvas, format="rgb24")
                frame.pts = n
                n += 1
                out.mux(vs.encode(frame))
        out.mux(vs.encode(None))
        if as_ is not None:
            _write_audio(out, as_, np.concatenate([s.audio for s in scenes]))
    return path
