"""Deterministic voice-like test signals (pure numpy, identical on every machine), shared by the
speaker tests and `tools/speaker_reference.py`, which records Resemblyzer's own embeddings of
them in `tests/fixtures/speaker_reference.npy`."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
VOICES = ((120.0, (700.0, 1200.0, 2600.0), 0), (210.0, (850.0, 1650.0, 2900.0), 1),
          (120.0, (400.0, 2000.0, 2550.0), 2))
"""(mean f0 in Hz, formants in Hz, seed): two low voices with different vowels, one high voice."""


def voice(f0: float, formants: tuple[float, ...], seed: int, seconds: float = 3.0) -> np.ndarray:
    """Harmonics of a wandering f0 shaped by formant bumps, in 4 Hz syllables, with a little noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = f0 * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t + seed) + 0.03 * np.sin(2 * np.pi * 3.1 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    out = np.zeros_like(t)
    for k in range(1, int(4000 // f0)):
        gain = sum(np.exp(-0.5 * ((k * pitch - f) / 120.0) ** 2) for f in formants) / k ** 0.5
        out += gain * np.sin(k * phase)
    syllables = np.clip(np.sin(2 * np.pi * 4.0 * t + seed), 0, None) ** 0.5
    out = out * syllables + 0.01 * rng.standard_normal(len(t))
    return (0.3 * out / np.abs(out).max()).astype(np.float32)


def signals() -> list[np.ndarray]:
    return [voice(f0, formants, seed) for f0, formants, seed in VOICES]
