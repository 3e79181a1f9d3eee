"""Probe and decode media with PyAV (audio, video) and Pillow (still images).

Audio is decoded as a stream and resampled to 16 kHz mono float32; a long track goes into a
memory-mapped temporary file, not the process's own memory. Video frames are decoded as a stream
too: only the frames nearest to the requested times are converted to RGB arrays, so a long video
is never held in memory.
"""

from __future__ import annotations

import bisect
import os
import tempfile
from contextlib import contextmanager
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from unlock_feeling.errors import UserInputError

SAMPLE_RATE = 16000
MediaKind = Literal["video", "audio", "image", "text"]
TEXT_SUFFIXES = {".txt", ".text"}


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    kind: MediaKind
    duration: float
    has_audio: bool
    has_video: bool
    width: int = 0
    height: int = 0


def _check_file(path: Path) -> None:
    """A readable, non-empty regular file; anything else (a FIFO would block forever) is refused."""
    import errno
    import stat

    try:
        st = path.stat()
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise UserInputError(f"{path}: symbolic link loop") from None
        if e.errno == errno.ENOENT and path.is_symlink():
            raise UserInputError(f"{path}: broken symbolic link (its target does not exist)") from None
        if e.errno == errno.ENOENT:
            raise UserInputError(f"{path}: no such file") from None
        raise UserInputError(f"{path}: cannot read ({e.strerror})") from None
    if stat.S_ISDIR(st.st_mode):
        raise UserInputError(f"{path}: is a directory, expected a media or .txt file")
    if not stat.S_ISREG(st.st_mode):
        raise UserInputError(f"{path}: not a regular file (a pipe, socket or device cannot be analysed)")
    try:
        with open(path, "rb"):
            pass
    except OSError as e:
        raise UserInputError(f"{path}: cannot read ({e.strerror})") from None
    if st.st_size == 0:
        raise UserInputError(f"{path}: file is empty")


@contextmanager
def _open_header(path: Path) -> Iterator[Any]:
    """Pillow's format plugin opened on the file's header (nothing decoded), or None if no image
    format recognises it. Unlike Image.open, this does not warn or raise on huge images, so the
    size can be checked (and reported) before any pixel is decoded."""
    from PIL import Image

    with open(path, "rb") as fp:
        prefix = fp.read(16)
        for load_plugins in (Image.preinit, Image.init):  # the common formats first, as Image.open
            load_plugins()
            for fmt in list(Image.ID):
                factory, accept = Image.OPEN[fmt]
                try:  # a plugin's accept() may itself fail on a short header (DIB reads 4 bytes)
                    result = not accept or accept(prefix)
                    if not result or isinstance(result, str):
                        continue
                    fp.seek(0)
                    im = factory(fp, str(path))
                except Exception:  # noqa: BLE001 - not this format
                    continue
                try:
                    yield im
                finally:
                    im.close()
                return
        yield None


def max_image_pixels() -> int:
    """The largest image decoded: Pillow's own decompression-bomb warning threshold (89.5 Mpx)."""
    from PIL import Image

    return int(Image.MAX_IMAGE_PIXELS or 89_478_485)


def _is_image(path: Path) -> tuple[int, int] | None:
    with _open_header(path) as im:
        if im is None:
            return None
        if getattr(im, "n_frames", 1) > 1 and im.format not in ("MPO",):
            return None  # animated (GIF, WebP): treat as video
        width, height = im.size
        if width * height > max_image_pixels():
            raise UserInputError(f"{path}: image too large ({width}×{height}; at most "
                                 f"{max_image_pixels() / 1e6:.0f} megapixels)")
        try:
            im.verify()
        except (OSError, ValueError, SyntaxError):
            return None
        return width, height


def probe(path: str | Path) -> MediaInfo:
    """Find out what an input is. Raises UserInputError with a one-line reason."""
    p = Path(path)
    _check_file(p)
    if p.suffix.lower() in TEXT_SUFFIXES:
        return MediaInfo(p, "text", 0.0, False, False)
    size = _is_image(p)
    if size is not None:
        return MediaInfo(p, "image", 0.0, False, True, size[0], size[1])
    import av

    try:
        with av.open(str(p)) as container:
            audio = container.streams.audio
            video = [s for s in container.streams.video if s.frames != 1 or s.average_rate]
            duration = float(container.duration or 0) / 1e6 if container.duration else 0.0
            if not duration:
                streams = list(audio) + video
                duration = max((float(s.duration * s.time_base) for s in streams if s.duration and s.time_base), default=0.0)
            width = video[0].codec_context.width if video else 0
            height = video[0].codec_context.height if video else 0
            for s in list(audio) + video:
                if s.codec_context is None or s.codec_context.name is None:
                    raise UserInputError(f"{p}: unsupported codec")
    except UserInputError:
        raise
    except Exception as e:  # noqa: BLE001 - PyAV raises many FFmpeg error types
        raise UserInputError(f"{p}: not a readable media file ({_short(e)})") from None
    if not audio and not video:
        raise UserInputError(f"{p}: has no audio or video stream")
    kind: MediaKind = "video" if video else "audio"
    return MediaInfo(p, kind, duration, bool(audio), bool(video), width, height)


def _short(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:200]


def _stream_seconds(container, stream) -> float:  # type: ignore[no-untyped-def]
    """The length the file announces for a stream (0 when it does not say)."""
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return float(container.duration or 0) / 1e6


def truncation_tolerance(expected: float) -> float:
    """How much shorter than announced a stream may decode before the file counts as truncated
    (encoder padding and rounding of the announced length stay well inside it)."""
    return max(1.0, 0.02 * expected)


def _truncated(path: str | Path, decoded: float) -> UserInputError:
    return UserInputError(f"{path}: file is truncated or corrupt after {decoded:.1f} s")


MAPPED_SAMPLES = 10 * 60 * SAMPLE_RATE
"""Audio longer than this (10 min) is decoded into a memory-mapped temporary file (deleted when the
audio is no longer used): its pages are file-backed, so the kernel can write them out and drop
them under memory pressure instead of the process holding an hour's 230 MB."""


def _allocate(n: int) -> np.ndarray:
    reserve = getattr(os, "posix_fallocate", None)  # not on macOS or Windows: keep it in memory there
    if n < MAPPED_SAMPLES or reserve is None:
        return np.empty(n, np.float32)
    try:
        with tempfile.TemporaryFile(prefix="unlock-feeling-audio-") as f:  # unlinked at once; the map keeps it
            # blocks reserved now: writing to a map of a file the disk cannot hold would kill the process
            reserve(f.fileno(), 0, n * np.dtype(np.float32).itemsize)
            return np.memmap(f, np.float32, "r+", shape=(n,))
    except OSError:  # no space (or no temporary folder): keep it in memory as before
        return np.empty(n, np.float32)


class _Samples:
    """A growing float32 buffer, allocated once at the length the file announces, so that an
    hour of audio (230 MB) is never held twice (chunks and their concatenation)."""

    def __init__(self) -> None:
        self._data = np.zeros(0, np.float32)
        self.size = 0

    def reserve(self, n: int) -> None:
        if n > len(self._data):
            grown = _allocate(n)
            grown[:self.size] = self._data[:self.size]
            self._data = grown

    def append(self, chunk: np.ndarray) -> None:
        if self.size + len(chunk) > len(self._data):  # longer than announced: grow by half
            self.reserve(max(self.size + len(chunk), int(len(self._data) * 1.5) + SAMPLE_RATE))
        self._data[self.size:self.size + len(chunk)] = chunk
        self.size += len(chunk)

    def samples(self) -> np.ndarray:
        return self._data[:self.size].view(np.ndarray)  # a plain array (over the map, if mapped)


def load_audio(path: str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode the first audio stream to mono float32 at `sample_rate`, streaming packet by packet.

    A file that stops decoding early (a decoding error after the start, or much less audio than
    it announces: a cut-off download) is refused, never analysed in part without a word."""
    import av

    buffer = _Samples()
    expected = 0.0
    broken = False
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            expected = _stream_seconds(container, stream)
            buffer.reserve(int(expected * sample_rate * 1.01) + sample_rate)
            resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
            try:
                for frame in container.decode(stream):
                    for out in resampler.resample(frame):
                        buffer.append(out.to_ndarray().reshape(-1))
            except av.error.FFmpegError:
                if not buffer.size:
                    raise
                broken = True
            for out in resampler.resample(None):
                buffer.append(out.to_ndarray().reshape(-1))
    except IndexError:
        raise UserInputError(f"{path}: has no audio stream") from None
    except Exception as e:  # noqa: BLE001
        raise UserInputError(f"{path}: cannot decode audio ({_short(e)})") from None
    if not buffer.size:
        raise UserInputError(f"{path}: audio stream is empty")
    audio = buffer.samples()
    decoded = len(audio) / sample_rate
    if broken or (expected and decoded < expected - truncation_tolerance(expected)):
        raise _truncated(path, decoded)
    return np.nan_to_num(audio, copy=False)


def load_image(path: str | Path, max_side: int = 1280) -> np.ndarray:
    """Read a still image as RGB uint8 (EXIF orientation applied), downscaled to `max_side`."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as opened:
            rgb = ImageOps.exif_transpose(opened).convert("RGB")
            rgb.thumbnail((max_side, max_side))
            return np.asarray(rgb)
    except Exception as e:  # noqa: BLE001
        raise UserInputError(f"{path}: cannot decode image ({_short(e)})") from None


def _scaled(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height, 1))
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def upright(image: np.ndarray, rotation: float) -> np.ndarray:
    """Apply a video's display rotation (degrees counter-clockwise, as phones record it)."""
    k = int(round(rotation / 90.0)) % 4
    return np.ascontiguousarray(np.rot90(image, k)) if k else image


def _frame_image(frame, size: tuple[int, int]) -> np.ndarray:  # type: ignore[no-untyped-def]
    image = frame.to_ndarray(format="rgb24", width=size[0], height=size[1])
    return upright(image, float(getattr(frame, "rotation", 0) or 0))


def iter_frames(path: str | Path, times: Sequence[float], max_side: int = 640,
                seek_gap: float = 8.0) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (requested time, RGB frame) for each requested time, streaming through the video.

    Each requested time gets the first decoded frame whose timestamp is at or after it (the last
    frame for times past the end). Frames nobody asked for are never converted to arrays, and when
    the next requested time is more than `seek_gap` seconds ahead the decoder seeks (to the
    keyframe before it) instead of decoding everything in between.
    """
    import av

    wanted = sorted(times)
    if not wanted:
        return
    i = 0
    last: av.VideoFrame | None = None
    size = (2, 2)
    expected = 0.0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            expected = _stream_seconds(container, stream)
            size = _scaled(stream.codec_context.width, stream.codec_context.height, max_side)
            frames = container.decode(stream)
            sought = -1  # seek at most once per requested time (the keyframe may lie before `last`)
            while i < len(wanted):
                if last is not None and last.time is not None and wanted[i] - last.time > seek_gap \
                        and stream.time_base and sought != i:
                    sought = i
                    container.seek(int(wanted[i] / stream.time_base), stream=stream, backward=True)
                    frames = container.decode(stream)
                frame = next(frames, None)
                if frame is None:
                    break
                if frame.time is None:
                    continue
                last = frame
                j = bisect.bisect_right(wanted, frame.time + 1e-6, lo=i)
                if j > i:
                    image = _frame_image(frame, size)
                    for t in wanted[i:j]:
                        yield t, image
                    i = j
    except Exception as e:  # noqa: BLE001
        if last is None:
            raise UserInputError(f"{path}: cannot decode video ({_short(e)})") from None
        raise _truncated(path, float(last.time or 0.0)) from None
    if last is not None and i < len(wanted):
        reached, tolerance = float(last.time or 0.0), truncation_tolerance(expected)
        if expected and reached < expected - tolerance and wanted[-1] > reached + tolerance:
            raise _truncated(path, float(last.time or 0.0))
        image = _frame_image(last, size)
        for t in wanted[i:]:
            yield t, image
