"""Voice features on edge cases: silence, clips shorter than one analysis window, a pure tone."""

import warnings

import numpy as np
import pytest

from unlock_feeling.extract.voice import PROSODY_NAMES, count_syllables, voice_features


@pytest.mark.parametrize("samples", [16000, 50, 0])
def test_silence_and_tiny_clips_give_finite_zero_prosody(samples):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no library warnings leak to the user's terminal
        f = voice_features(np.zeros(samples, np.float32), "")
    assert f.vector.shape == (len(PROSODY_NAMES) + 2 * 13,) and np.isfinite(f.vector).all()
    assert f.prosody["f0_median_hz"] == 0 and f.prosody["voiced_ratio"] == 0 and f.prosody["speaking_rate"] == 0
    assert f.prosody["energy_db"] <= -90


def test_a_tone_has_its_pitch_and_no_pitch_spread():
    t = np.arange(8000) / 16000
    f = voice_features((0.1 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), "hello there")
    assert f.prosody["f0_median_hz"] == pytest.approx(150, rel=0.02)
    assert f.prosody["f0_std_semitones"] < 0.2 and f.prosody["voiced_ratio"] > 0.9
    assert f.prosody["speaking_rate"] == pytest.approx(count_syllables("hello there") / 0.5)
    assert -30 < f.prosody["energy_db"] < -15  # a 0.1 sine: RMS 0.07, about -23 dB


def test_syllables_in_mixed_text():
    assert count_syllables("안녕하세요") == 5
    assert count_syllables("hello there") == 4  # vowel groups e, o, e, e: a rough count, silent e included
    assert count_syllables("오늘 happy") == 2 + 2
