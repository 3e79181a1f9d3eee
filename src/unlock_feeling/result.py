"""What an analysis returns, defined once: a typed `UtteranceResult` per row, the `AnalysisInfo`
that records what produced them (options, extractor versions, model sha256s), and the output
table's columns (README "Output columns"), which are the flattened fields of UtteranceResult."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from unlock_feeling.extract.voice import PROSODY_NAMES
from unlock_feeling.labels import LABELS, MODALITIES

if TYPE_CHECKING:
    import pandas as pd

COLUMNS: tuple[str, ...] = (
    ("source", "start", "end", "speaker", "language", "text", "emotion", "confidence")
    + LABELS
    + tuple(f"{m}_{label}" for m in MODALITIES for label in LABELS)
    + ("face_frames", "face_count", "modalities")
    + ("language_probability", "asr_avg_logprob", "asr_no_speech_prob")
    + PROSODY_NAMES
    + ("face_time", "face_box")
)
"""Every column of the result table, in order. `language_probability`, `asr_avg_logprob` and
`asr_no_speech_prob` are the recogniser's own confidence (empty for text, images and rows without
speech): a low `asr_avg_logprob` or a high `asr_no_speech_prob` flags a transcript not to trust.
`face_time` and `face_box` locate the face that counted most ("x0 y0 x1 y1" as fractions of the
frame), so a report shows it without detecting faces again."""

REPORT_COLUMNS: tuple[str, ...] = ("start", "end", "text", "emotion", "confidence", "modalities") + LABELS
"""The columns a table needs for the HTML report (the others are optional there)."""

PROVENANCE_KEY = "unlock_feeling"
"""Where AnalysisInfo goes: DataFrame.attrs key, Parquet metadata, the JSON file's header."""


@dataclass(frozen=True)
class UtteranceResult:
    """One row: an utterance (a sentence, a window, a text line or an image) and its emotion."""

    source: str
    start: float
    end: float
    text: str
    language: str
    speaker: str
    probabilities: np.ndarray
    """Fused probabilities, LABELS order, summing to 1."""
    modality_probabilities: dict[str, np.ndarray | None]
    """Per modality (text, face, voice); None where absent or without a model."""
    face_frames: int = 0
    face_count: int = 0
    language_probability: float = math.nan
    asr_avg_logprob: float = math.nan
    asr_no_speech_prob: float = math.nan
    prosody: dict[str, float] | None = None
    face_time: float | None = None
    face_box: tuple[float, float, float, float] | None = None

    @property
    def emotion(self) -> str:
        return LABELS[int(np.argmax(self.probabilities))]

    @property
    def confidence(self) -> float:
        return float(np.max(self.probabilities))

    @property
    def modalities(self) -> str:
        return "+".join(m for m in MODALITIES if self.modality_probabilities.get(m) is not None)

    def row(self) -> dict[str, Any]:
        """The flat table row (COLUMNS)."""
        r: dict[str, Any] = {
            "source": self.source, "start": round(self.start, 3), "end": round(self.end, 3), "speaker": self.speaker,
            "language": self.language, "text": self.text, "emotion": self.emotion,
            "confidence": round(self.confidence, 4)}
        r.update({label: float(p) for label, p in zip(LABELS, self.probabilities)})
        for m in MODALITIES:
            p = self.modality_probabilities.get(m)
            r.update({f"{m}_{label}": float(p[i]) if p is not None else math.nan for i, label in enumerate(LABELS)})
        r.update({"face_frames": self.face_frames, "face_count": self.face_count, "modalities": self.modalities,
                  "language_probability": _round(self.language_probability),
                  "asr_avg_logprob": _round(self.asr_avg_logprob),
                  "asr_no_speech_prob": _round(self.asr_no_speech_prob)})
        r.update({name: self.prosody[name] if self.prosody else math.nan for name in PROSODY_NAMES})
        r["face_time"] = self.face_time if self.face_time is not None else math.nan
        r["face_box"] = " ".join(f"{v:.4f}" for v in self.face_box) if self.face_box else ""
        return r


def _round(x: float) -> float:
    return round(x, 4) if not math.isnan(x) else math.nan


@dataclass(frozen=True)
class AnalysisInfo:
    """What produced a result, as faster-whisper's TranscriptionInfo echoes its options: the
    package version, every option, each extractor's name/version/config hash and the sha256 of
    every model used. Stored with the table so that it can be traced later."""

    version: str
    options: dict[str, Any]
    extractors: dict[str, list[str]]
    models: dict[str, str]
    sources: list[str] = field(default_factory=list)
    created: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"version": self.version, "options": self.options, "extractors": self.extractors,
                "models": self.models, "sources": self.sources, "created": self.created}

    def footer(self) -> str:
        """One line for a report: version, options that differ from the defaults, models."""
        models = ", ".join(f"{name} {digest[:12]}" for name, digest in sorted(self.models.items()))
        return f"unlock-feeling {self.version} · models: {models}"


def to_frame(results: list[UtteranceResult], info: AnalysisInfo | None = None) -> "pd.DataFrame":
    """The table of a list of results (COLUMNS), with `info` in `DataFrame.attrs`."""
    return rows_frame([r.row() for r in results], info.to_dict() if info is not None else None)


def rows_frame(rows: list[dict[str, Any]], info: dict[str, Any] | None = None) -> "pd.DataFrame":
    """The table of result rows (`UtteranceResult.row()`), with `info` (`AnalysisInfo.to_dict()`)
    in `DataFrame.attrs`."""
    import pandas as pd

    df = pd.DataFrame(rows, columns=list(COLUMNS))
    if info is not None:
        df.attrs[PROVENANCE_KEY] = info
    return df
