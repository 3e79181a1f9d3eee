"""Speaker ids: GE2E speaker embeddings (Resemblyzer's pretrained encoder, run in numpy) per
utterance, clustered with average-linkage agglomerative clustering on cosine distance.

Preprocessing follows Resemblyzer: volume raised to -30 dBFS (never lowered), 40-band mel
spectrogram (25 ms windows, 10 ms hop), 160-frame partials at 1.3 per second; the utterance
embedding is the L2-normalised mean of the partial embeddings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from unlock_feeling.media.decode import SAMPLE_RATE
from unlock_feeling.media.spectral import mel_spectrogram
from unlock_feeling.models.registry import model_path

PARTIAL_FRAMES = 160
HOP = 160  # samples per mel frame (10 ms)


@dataclass(frozen=True)
class SpeakerConfig:
    threshold: float = 0.25
    """Average cosine distance below which utterances are one speaker (similarity above 0.75)."""
    min_seconds: float = 0.6
    """Shorter utterances get the speaker of the nearest longer one."""
    min_context: float = 3.0
    """Shorter sentences are embedded over this much audio around them, within their own speech
    span (no further: across a pause another person may speak)."""


def context_window(start: float, end: float, spans: Sequence[tuple[float, float]], seconds: float) -> tuple[float, float]:
    """(start, end) widened to `seconds` around its middle, inside the span that holds it."""
    if end - start >= seconds:
        return start, end
    mid = (start + end) / 2
    lo, hi = next(((a, b) for a, b in spans if a <= mid <= b), (start, end))
    lo, hi = min(lo, start), max(hi, end)
    a = max(lo, mid - seconds / 2)
    b = min(hi, a + seconds)
    return max(lo, b - seconds), b


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (0.5 * (1.0 + np.tanh(0.5 * x))).astype(x.dtype, copy=False)


@dataclass
class SpeakerEncoder:
    @cached_property
    def _w(self) -> dict[str, np.ndarray]:
        from safetensors.numpy import load_file

        return {k: v.astype(np.float32) for k, v in load_file(str(model_path("speaker-ge2e"))).items()}

    def load(self) -> None:
        """Load the weights now (otherwise on first use)."""
        _ = self._w

    @staticmethod
    def _mel(wav: np.ndarray) -> np.ndarray:
        return mel_spectrogram(wav, SAMPLE_RATE, n_fft=400, hop=HOP, n_mels=40).T

    @staticmethod
    def _partials(n_samples: int, rate: float = 1.3, min_coverage: float = 0.75) -> list[tuple[int, int]]:
        n_frames = int(np.ceil((n_samples + 1) / HOP))
        step = int(np.round((SAMPLE_RATE / rate) / HOP))
        slices = [(i, i + PARTIAL_FRAMES) for i in range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step)]
        last = slices[-1]
        coverage = (n_samples - last[0] * HOP) / (PARTIAL_FRAMES * HOP)
        if coverage < min_coverage and len(slices) > 1:
            slices = slices[:-1]
        return slices

    def _lstm(self, x: np.ndarray) -> np.ndarray:
        """3-layer LSTM (PyTorch gate order i, f, g, o); returns the last layer's final hidden state."""
        w = self._w
        batch, steps, _ = x.shape
        seq = x
        h = np.zeros((batch, 256), np.float32)
        for layer in range(3):
            w_ih, w_hh = w[f"lstm.weight_ih_l{layer}"], w[f"lstm.weight_hh_l{layer}"]
            bias = w[f"lstm.bias_ih_l{layer}"] + w[f"lstm.bias_hh_l{layer}"]
            projected = seq @ w_ih.T + bias  # (batch, steps, 1024)
            h = np.zeros((batch, 256), np.float32)
            c = np.zeros((batch, 256), np.float32)
            outputs = np.empty((batch, steps, 256), np.float32)
            for t in range(steps):
                gates = projected[:, t] + h @ w_hh.T
                i, f, g, o = np.split(gates, 4, axis=1)
                c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
                h = _sigmoid(o) * np.tanh(c)
                outputs[:, t] = h
            seq = outputs
        return h

    def _partial_mels(self, wav: np.ndarray) -> np.ndarray:
        """(partials, 160, 40) mel windows of one utterance, volume raised to -30 dBFS."""
        wav = np.asarray(wav, np.float32)
        rms = float(np.sqrt(np.mean((wav * 32767.0) ** 2))) if len(wav) else 0.0
        if rms > 0:
            change = -30.0 - 20 * np.log10(rms / 32767.0)
            if change > 0:
                wav = wav * (10 ** (change / 20))
        slices = self._partials(len(wav))
        needed = slices[-1][1] * HOP
        if needed > len(wav):
            wav = np.pad(wav, (0, needed - len(wav)))
        mel = self._mel(wav)
        return np.stack([mel[a:b] for a, b in slices])

    def embed(self, wav: np.ndarray) -> np.ndarray:
        """One utterance (16 kHz mono) → 256-d unit vector."""
        return self.embed_many([wav])[0]

    def embed_many(self, wavs: Sequence[np.ndarray], batch: int = 64) -> np.ndarray:
        """Utterances → (N, 256) unit vectors. All their partials go through the LSTM together
        (its 160 steps are a Python loop: one loop for many utterances, not one each)."""
        mels = [self._partial_mels(w) for w in wavs]
        owner = np.concatenate([np.full(len(m), i) for i, m in enumerate(mels)]) if mels else np.zeros(0, int)
        stacked = np.concatenate(mels) if mels else np.zeros((0, PARTIAL_FRAMES, 40), np.float32)
        hidden = np.concatenate([self._lstm(stacked[i:i + batch]) for i in range(0, len(stacked), batch)]) \
            if len(stacked) else np.zeros((0, 256), np.float32)
        raw = np.maximum(hidden @ self._w["linear.weight"].T + self._w["linear.bias"], 0.0)
        partial = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)
        out = np.zeros((len(mels), 256), np.float32)
        for i in range(len(mels)):
            mean = partial[owner == i].mean(axis=0)
            out[i] = mean / max(float(np.linalg.norm(mean)), 1e-9)
        return out


def average_linkage(embeddings: np.ndarray, threshold: float) -> np.ndarray:
    """Agglomerative clustering with average linkage on cosine distance: the two closest clusters
    merge while their mean pairwise distance is below `threshold` (as scikit-learn's
    AgglomerativeClustering(metric="cosine", linkage="average", distance_threshold=threshold),
    without importing it: a second of start-up). Returns a cluster number per row."""
    x = np.asarray(embeddings, np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    n = len(x)
    dist = np.clip(1.0 - x @ x.T, 0.0, 2.0)
    np.fill_diagonal(dist, np.inf)
    size = np.ones(n)
    owner = np.arange(n)
    for _ in range(n - 1):
        i, j = divmod(int(np.argmin(dist)), n)
        if not dist[i, j] < threshold:
            break
        merged = (size[i] * dist[i] + size[j] * dist[j]) / (size[i] + size[j])  # Lance–Williams, average
        dist[i, :] = merged
        dist[:, i] = merged
        dist[i, i] = np.inf
        dist[j, :] = np.inf
        dist[:, j] = np.inf
        size[i] += size[j]
        owner[owner == j] = i
    return owner


def cluster(embeddings: np.ndarray, durations: Sequence[float], config: SpeakerConfig = SpeakerConfig()) -> list[str]:
    """Speaker labels S1, S2, ... in order of first appearance."""
    n = len(embeddings)
    if n == 0:
        return []
    long_enough = [i for i in range(n) if durations[i] >= config.min_seconds] or list(range(n))
    labels = np.zeros(n, int)
    if len(long_enough) > 1:
        labels[long_enough] = average_linkage(embeddings[long_enough], config.threshold)
    for i in set(range(n)) - set(long_enough):  # short ones: the most similar long utterance
        nearest = max(long_enough, key=lambda j: float(embeddings[i] @ embeddings[j]))
        labels[i] = labels[nearest]
    order: dict[int, str] = {}
    for lab in labels:
        order.setdefault(int(lab), f"S{len(order) + 1}")
    return [order[int(lab)] for lab in labels]
