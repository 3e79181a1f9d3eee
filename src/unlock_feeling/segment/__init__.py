"""Segment stage: find utterances (silero VAD) and transcribe them (faster-whisper)."""

from unlock_feeling.segment.asr import AsrConfig, Transcriber
from unlock_feeling.segment.vad import Utterance, VadConfig, fixed_windows, speech_spans

__all__ = ["AsrConfig", "Transcriber", "Utterance", "VadConfig", "fixed_windows", "speech_spans"]
