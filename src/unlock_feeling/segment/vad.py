"""Voice activity detection with Silero VAD v6 (the ONNX model shipped in faster-whisper)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from unlock_feeling.media.decode import SAMPLE_RATE


@dataclass(frozen=True)
class VadConfig:
    """faster-whisper's VadOptions (same field names, passed through as they are), frozen and with
    this project's defaults: 0.5 s of silence ends a span, a span is at most 20 s."""

    threshold: float = 0.5
    min_speech_duration_ms: int = 250
    min_silence_duration_ms: int = 500
    max_speech_duration_s: float = 20.0
    speech_pad_ms: int = 200


@dataclass
class Utterance:
    start: float
    end: float
    text: str = ""
    language: str = ""
    language_probability: float = 0.0
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    speaker: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start


CHUNK_SECONDS = 600.0
"""Long audio is searched for speech ten minutes at a time: in one piece, Silero's batched windows
took another 0.28 GB for an hour of audio (measured), on top of the audio itself."""


def speech_spans(audio: np.ndarray, config: VadConfig = VadConfig()) -> list[Utterance]:
    """Speech regions of 16 kHz mono audio as utterances (no text yet). Audio longer than
    CHUNK_SECONDS is searched in chunks (a span that crosses a chunk boundary is cut there)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(**asdict(config))
    step = int(CHUNK_SECONDS * SAMPLE_RATE)
    out: list[Utterance] = []
    for offset in range(0, max(len(audio), 1), step):
        spans = get_speech_timestamps(audio[offset:offset + step], options, sampling_rate=SAMPLE_RATE)
        out += [Utterance((offset + s["start"]) / SAMPLE_RATE, (offset + s["end"]) / SAMPLE_RATE) for s in spans]
    return out


def fixed_windows(duration: float, window: float) -> list[Utterance]:
    """Consecutive windows covering [0, duration) (the last one may be shorter)."""
    if duration <= 0:
        return [Utterance(0.0, max(duration, 0.0))]
    n = max(1, int(np.ceil(duration / window - 1e-9)))
    return [Utterance(round(i * window, 3), round(min(duration, (i + 1) * window), 3)) for i in range(n)]
