"""Spectral features of decoded audio in plain numpy (no librosa or scipy: their imports cost a
second of start-up): mel spectrograms, MFCCs, RMS energy and YIN pitch. Each equals librosa's
function with the same settings (tests/test_media_spectral.py compares them)."""

from __future__ import annotations

import numpy as np


def frames(y: np.ndarray, frame_length: int, hop: int) -> np.ndarray:
    """(n_frames, frame_length) centred frames of zero-padded `y` (librosa's center=True,
    pad_mode="constant")."""
    y = np.pad(np.asarray(y, np.float32), frame_length // 2)
    n = 1 + (len(y) - frame_length) // hop
    return np.lib.stride_tricks.as_strided(y, (n, frame_length), (y.strides[0] * hop, y.strides[0]))


def _hz_to_mel(hz: "np.ndarray | float") -> np.ndarray:
    """Slaney's mel scale (linear below 1 kHz, logarithmic above), as librosa's default."""
    hz = np.asarray(hz, np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    linear = hz / f_sp
    return np.where(hz >= min_log_hz, min_log_hz / f_sp + np.log(np.maximum(hz, 1e-10) / min_log_hz) / logstep, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(mel >= min_log_mel, min_log_hz * np.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) triangular filters, Slaney-normalised (librosa.filters.mel's default)."""
    freqs = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(sample_rate / 2), n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


def mel_spectrogram(wav: np.ndarray, sample_rate: int, n_fft: int, hop: int, n_mels: int) -> np.ndarray:
    """(n_mels, frames) power mel spectrogram: centred frames (zero padding), periodic Hann window,
    |STFT|², Slaney mel filters (librosa.feature.melspectrogram with these settings)."""
    window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)
    power = np.abs(np.fft.rfft(frames(wav, n_fft, hop) * window, axis=1)) ** 2
    return (mel_filters(sample_rate, n_fft, n_mels) @ power.T.astype(np.float32)).astype(np.float32)


def power_to_db(power: np.ndarray, amin: float = 1e-10, top_db: float | None = 80.0) -> np.ndarray:
    """10·log10(power) with a floor (librosa.power_to_db with ref=1)."""
    db = 10.0 * np.log10(np.maximum(amin, power))
    if top_db is not None:
        db = np.maximum(db, db.max() - top_db)
    return db


def mfcc(y: np.ndarray, sample_rate: int, n_mfcc: int = 13, hop: int = 512, n_fft: int = 2048,
         n_mels: int = 128) -> np.ndarray:
    """(n_mfcc, frames): orthonormal DCT-II of the log mel spectrogram (librosa.feature.mfcc)."""
    log_mel = power_to_db(mel_spectrogram(y, sample_rate, n_fft=n_fft, hop=hop, n_mels=n_mels).astype(np.float64))
    k, n = np.arange(n_mfcc)[:, None], np.arange(n_mels)[None, :]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_mels)) * np.sqrt(2.0 / n_mels)
    basis[0] /= np.sqrt(2.0)
    return (basis @ log_mel).astype(np.float32)


def rms(y: np.ndarray, frame_length: int, hop: int) -> np.ndarray:
    """Root mean square of each centred frame (librosa.feature.rms)."""
    f = frames(y, frame_length, hop).astype(np.float64)
    return np.sqrt(np.mean(f * f, axis=1)).astype(np.float32)


def yin(y: np.ndarray, fmin: float, fmax: float, sample_rate: int, frame_length: int, hop: int,
        trough_threshold: float = 0.1) -> np.ndarray:
    """F0 (Hz) per centred frame by YIN (de Cheveigné & Kawahara 2002), as librosa.yin: cumulative
    mean normalised difference, the first trough under the threshold (else the global minimum),
    refined by parabolic interpolation."""
    f = frames(y, frame_length, hop).T  # (frame_length, n)
    min_period = int(np.floor(sample_rate / fmax))
    max_period = min(int(np.ceil(sample_rate / fmin)), frame_length - 1)
    n_fft = 1 << int(np.ceil(np.log2(2 * frame_length - 1)))
    spectrum = np.fft.rfft(f, n=n_fft, axis=0)
    acf = np.fft.irfft(spectrum.real ** 2 + spectrum.imag ** 2, n=n_fft, axis=0)[: max_period + 1]
    energy = np.cumsum(np.square(f, dtype=np.float64), axis=0)
    diff = np.empty((max_period + 1, f.shape[1]))
    diff[0] = 0.0
    diff[1:] = 2 * (acf[0:1] - acf[1:]) - energy[:max_period]
    cumulative = np.cumsum(diff[1:], axis=0) / np.arange(1, max_period + 1)[:, None]
    denominator = cumulative[min_period - 1: max_period]
    cmnd = diff[min_period: max_period + 1] / (denominator + np.finfo(denominator.dtype).tiny)
    # parabolic shifts (0 at the ends, and where the vertex lies more than a bin away)
    a = cmnd[2:] + cmnd[:-2] - 2 * cmnd[1:-1]
    b = (cmnd[2:] - cmnd[:-2]) / 2
    shifts = np.zeros_like(cmnd)
    ok = np.abs(b) < np.abs(a)
    shifts[1:-1][ok] = -b[ok] / a[ok]
    # troughs: strictly below the previous bin and not above the next one
    trough = np.zeros(cmnd.shape, bool)
    trough[1:-1] = (cmnd[1:-1] < cmnd[:-2]) & (cmnd[1:-1] <= cmnd[2:])
    trough[-1] = cmnd[-1] < cmnd[-2]
    trough[0] = cmnd[0] < cmnd[1]
    below = trough & (cmnd < trough_threshold)
    period = np.where(below.any(axis=0), np.argmax(below, axis=0), np.argmin(cmnd, axis=0))
    refined = min_period + period + shifts[period, np.arange(cmnd.shape[1])]
    return (sample_rate / refined).astype(np.float64)
