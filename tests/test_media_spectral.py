"""The numpy spectral features equal librosa's (which the voice features used before) on speech,
noise, a tone and clips shorter than one window."""

import numpy as np
import pytest

from synth import speak
from unlock_feeling.media import spectral

librosa = pytest.importorskip("librosa")


def _signals() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(8000) / 16000
    return [speak("Hello there, I am so happy today!"), (0.1 * rng.standard_normal(12345)).astype(np.float32),
            (0.1 * np.sin(2 * np.pi * 180 * t)).astype(np.float32), (0.1 * rng.standard_normal(700)).astype(np.float32)]


def test_mel_spectrogram_and_mfcc():
    for y in _signals():
        ref = librosa.feature.melspectrogram(y=y, sr=16000, n_fft=400, hop_length=160, n_mels=40)
        ours = spectral.mel_spectrogram(y, 16000, n_fft=400, hop=160, n_mels=40)
        assert ours.shape == ref.shape and np.abs(ours - ref).max() < 1e-5 * np.abs(ref).max()
        ref = librosa.feature.mfcc(y=y, sr=16000, n_mfcc=13, hop_length=160)
        ours = spectral.mfcc(y, 16000, 13, 160)
        assert ours.shape == ref.shape and np.abs(ours - ref).max() < 1e-3


def test_rms_and_yin():
    for y in _signals()[:3]:
        ref = librosa.feature.rms(y=y, frame_length=1024, hop_length=160)[0]
        assert np.allclose(spectral.rms(y, 1024, 160), ref, atol=1e-7)
        ref = librosa.yin(y, fmin=65, fmax=500, sr=16000, frame_length=1024, hop_length=160)
        ours = spectral.yin(y, 65, 500, 16000, 1024, 160)
        assert ours.shape == ref.shape
        assert np.mean(np.abs(ours - ref) < 1e-3) > 0.99 and np.abs(ours - ref).max() < 0.05  # Hz
    tone = spectral.yin(_signals()[2], 65, 500, 16000, 1024, 160)
    assert np.median(tone) == pytest.approx(180, rel=0.01)
