"""Streaming decode: frames at requested times, with and without seeking."""

import numpy as np

from unlock_feeling.media.decode import iter_frames, load_audio, probe
from synth import Scene, silence, write_video


def test_seeking_gives_the_same_frames_as_decoding_everything(tmp_path):
    colours = [np.full((120, 160, 3), c, np.uint8) for c in (0, 60, 120, 180, 240, 90, 30, 210)]
    scenes = [Scene(c, silence(1.5)) for c in colours]
    video = write_video(tmp_path / "colours.mp4", scenes, size=(160, 120), fps=10)
    times = [0.2, 0.25, 4.1, 4.6, 10.9, 11.7, 30.0]  # 30 s is past the end: gets the last frame
    plain = list(iter_frames(video, times, seek_gap=1e9))
    seeking = list(iter_frames(video, times, seek_gap=0.5))
    assert [t for t, _ in plain] == [t for t, _ in seeking] == sorted(times)
    for (_, a), (_, b) in zip(plain, seeking):
        assert np.array_equal(a, b)
    # each frame shows the colour of its scene (1.5 s each)
    for t, frame in plain[:-1]:
        expected = colours[int(t // 1.5)][0, 0, 0]
        assert abs(int(frame[60, 80, 0]) - int(expected)) < 12


def test_probe_and_audio(tmp_path):
    video = write_video(tmp_path / "v.mp4", [Scene(None, silence(2.0))], size=(160, 120))
    info = probe(video)
    assert info.kind == "video" and info.has_audio and info.has_video and abs(info.duration - 2.0) < 0.3
    audio = load_audio(video)
    assert audio.dtype == np.float32 and abs(len(audio) / 16000 - 2.0) < 0.2


def test_upright_applies_phone_rotation():
    from unlock_feeling.media.decode import upright

    img = np.zeros((2, 3, 3), np.uint8)
    img[0, 0] = 255  # top-left marker
    assert upright(img, 0) is img
    ccw = upright(img, 90)  # rotate the picture 90° counter-clockwise: top-left goes to bottom-left
    assert ccw.shape == (3, 2, 3) and ccw[2, 0, 0] == 255
    cw = upright(img, -90)
    assert cw.shape == (3, 2, 3) and cw[0, 1, 0] == 255
    assert upright(img, 180)[1, 2, 0] == 255


def test_audio_buffer_grows_past_the_announced_length():
    from unlock_feeling.media.decode import _Samples

    buf = _Samples()
    buf.reserve(10)
    parts = [np.arange(i * 7, i * 7 + 7, dtype=np.float32) for i in range(5)]  # 35 samples > 10 reserved
    for p in parts:
        buf.append(p)
    assert np.array_equal(buf.samples(), np.arange(35, dtype=np.float32))


def test_decoded_audio_has_the_announced_length(tmp_path):
    from synth import write_wav

    tone = (0.1 * np.sin(np.arange(16000 * 3) / 16000 * 2 * np.pi * 220)).astype(np.float32)
    audio = load_audio(write_wav(tmp_path / "tone.wav", tone))
    assert len(audio) == len(tone) and np.abs(audio - tone).max() < 1e-3


def test_long_audio_is_decoded_into_a_memory_map(tmp_path, monkeypatch):
    """Past MAPPED_SAMPLES the samples live in a mapped temporary file, unchanged; growing past
    the announced length keeps them mapped."""
    import unlock_feeling.media.decode as decode
    from synth import write_wav

    tone = (0.1 * np.sin(np.arange(16000 * 3) / 16000 * 2 * np.pi * 220)).astype(np.float32)
    path = write_wav(tmp_path / "tone.wav", tone)
    in_memory = load_audio(path)
    monkeypatch.setattr(decode, "MAPPED_SAMPLES", 16000)
    mapped = load_audio(path)
    assert isinstance(mapped.base, np.memmap) and not isinstance(in_memory.base, np.memmap)
    assert type(mapped) is np.ndarray and np.array_equal(mapped, in_memory)
    buf = decode._Samples()
    buf.reserve(16000)
    buf.append(tone)  # 48,000 samples into 16,000 reserved
    assert isinstance(buf.samples().base, np.memmap) and np.array_equal(buf.samples(), tone)
    assert list(tmp_path.iterdir()) == [path]  # nothing written beside the input


def test_long_audio_stays_in_memory_when_the_temporary_disk_is_full(tmp_path, monkeypatch):
    import errno

    import unlock_feeling.media.decode as decode
    from synth import write_wav

    def full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    tone = (0.1 * np.sin(np.arange(16000 * 2) / 16000 * 2 * np.pi * 220)).astype(np.float32)
    monkeypatch.setattr(decode, "MAPPED_SAMPLES", 16000)
    monkeypatch.setattr(decode.os, "posix_fallocate", full)
    audio = load_audio(write_wav(tmp_path / "tone.wav", tone))
    assert not isinstance(audio.base, np.memmap) and np.abs(audio - tone).max() < 1e-3
