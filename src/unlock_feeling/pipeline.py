"""The whole pipeline: media → segment → extract (text, face, voice) → fuse → table."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from unlock_feeling.errors import UserInputError
from unlock_feeling.extract.face import ExpressionModel, FaceAnalyzer, FaceConfig, PooledFace, pool
from unlock_feeling.extract.text import TextConfig, TextEmotion
from unlock_feeling.extract.voice import PROSODY_NAMES, voice_features
from unlock_feeling.fuse.late import late_fusion
from unlock_feeling.labels import LABELS
from unlock_feeling.media.decode import SAMPLE_RATE, MediaInfo, iter_frames, load_audio, load_image, probe
from unlock_feeling.report.table import COLUMNS
from unlock_feeling.segment.asr import LANGUAGES, AsrConfig, Transcriber
from unlock_feeling.segment.vad import Utterance, VadConfig, fixed_windows, speech_spans

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)"""

_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


@dataclass(frozen=True)
class AnalyzeOptions:
    language: Literal["auto", "ko", "en"] = "auto"
    """Spoken/written language; `auto` chooses Korean or English per utterance."""
    window: float = 2.0
    """Window length (s) for videos without speech (face only)."""
    fps: float = 5.0
    """Frames per second sampled for the face within each utterance."""
    max_frames: int = 60
    """At most this many frames per utterance (evenly spread)."""
    asr_model: str = "whisper-base"
    face_model: ExpressionModel = "ensemble"
    beam_size: int = 1
    batch_size: int = 8
    threads: int = 2
    max_side: int = 640
    """Frames are downscaled to this longest side before face detection."""
    vad: VadConfig = field(default_factory=VadConfig)

    def __post_init__(self) -> None:
        if self.language not in ("auto", "ko", "en"):
            raise UserInputError(f"language must be auto, ko or en, not {self.language!r}")
        if not self.window > 0 or not self.fps > 0:
            raise UserInputError("--window and --fps must be positive")


def _nan_row(prefix: str) -> dict[str, float]:
    return {f"{prefix}_{label}": float("nan") for label in LABELS}


def _text_language(text: str, option: str) -> str:
    if option != "auto":
        return option
    return "ko" if _HANGUL.search(text) else "en"


@dataclass
class Analyzer:
    """Holds the loaded models; reuse one Analyzer for many files."""

    options: AnalyzeOptions = field(default_factory=AnalyzeOptions)

    @cached_property
    def text_model(self) -> TextEmotion:
        return TextEmotion(TextConfig(threads=self.options.threads))

    @cached_property
    def face_model(self) -> FaceAnalyzer:
        return FaceAnalyzer(FaceConfig(model=self.options.face_model, threads=self.options.threads))

    @cached_property
    def transcriber(self) -> Transcriber:
        langs = LANGUAGES if self.options.language == "auto" else (self.options.language,)
        return Transcriber(AsrConfig(model=self.options.asr_model, languages=langs,
                                     beam_size=self.options.beam_size, batch_size=self.options.batch_size,
                                     threads=self.options.threads))

    # -- entry point -----------------------------------------------------------------------
    def analyze(self, path: str | Path, progress: Progress | None = None) -> "pd.DataFrame":
        report = progress or (lambda stage, done, total: None)
        info = probe(path)
        if info.kind == "text":
            rows = self._text_file(info, report)
        elif info.kind == "image":
            rows = self._image(info, report)
        else:
            rows = self._timed_media(info, report)
        return self._table(rows)

    # -- per input kind --------------------------------------------------------------------
    def _text_file(self, info: MediaInfo, report: Progress) -> list[dict[str, Any]]:
        try:
            content = info.path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserInputError(f"{info.path}: not UTF-8 text") from None
        lines = [line.strip() for line in content.splitlines() if line.strip()]
        if not lines:
            raise UserInputError(f"{info.path}: contains no text")
        report("text", 0, len(lines))
        _, probs = self.text_model(lines)
        report("text", len(lines), len(lines))
        return [self._row(info, Utterance(float("nan"), float("nan"), line,
                                          _text_language(line, self.options.language)), p, None, None)
                for line, p in zip(lines, probs)]

    def _image(self, info: MediaInfo, report: Progress) -> list[dict[str, Any]]:
        report("face", 0, 1)
        frames = self.face_model.frames([(0.0, load_image(info.path))])
        report("face", 1, 1)
        if not frames:
            raise UserInputError(f"{info.path}: no face found in the image")
        return [self._row(info, Utterance(0.0, 0.0), None, pool(frames), None)]

    def _timed_media(self, info: MediaInfo, report: Progress) -> list[dict[str, Any]]:
        utterances: list[Utterance] = []
        audio: np.ndarray | None = None
        if info.has_audio:
            report("decode", 0, 1)
            audio = load_audio(info.path)
            report("decode", 1, 1)
            report("vad", 0, 1)
            utterances = speech_spans(audio, self.options.vad)
            report("vad", 1, 1)
            if utterances:
                report("asr", 0, len(utterances))
                done = [0]

                def step(n: int) -> None:
                    done[0] += n
                    report("asr", done[0], len(utterances))

                self.transcriber.transcribe(audio, utterances, step)
        duration = info.duration or (len(audio) / SAMPLE_RATE if audio is not None else 0.0)
        if not utterances:
            if not info.has_video:
                what = "no speech found" if audio is not None and len(audio) >= SAMPLE_RATE // 2 else \
                    "too short to contain speech"
                raise UserInputError(f"{info.path}: {what} (audio of {duration:.1f} s)")
            utterances = fixed_windows(duration, self.options.window)
        spoken = [u for u in utterances if u.text]
        text_probs: dict[int, np.ndarray] = {}
        if spoken:
            report("text", 0, len(spoken))
            _, probs = self.text_model([u.text for u in spoken])
            text_probs = {id(u): p for u, p in zip(spoken, probs)}
            report("text", len(spoken), len(spoken))
        faces = self._faces(info, utterances, report) if info.has_video else {}
        report("voice", 0, len(utterances))
        voices: list[dict[str, float] | None] = []
        for i, u in enumerate(utterances):
            voice = None
            if audio is not None and u.text:
                clip = audio[int(u.start * SAMPLE_RATE):int(u.end * SAMPLE_RATE)]
                if len(clip) >= SAMPLE_RATE // 10:
                    voice = voice_features(clip, u.text).prosody
            voices.append(voice)
            report("voice", i + 1, len(utterances))
        report("fuse", 0, len(utterances))
        rows = [row for i, u in enumerate(utterances)
                if (row := self._row(info, u, text_probs.get(id(u)), faces.get(i), voices[i])) is not None]
        report("fuse", len(utterances), len(utterances))
        if not rows:
            reasons = []
            if info.has_video:
                reasons.append("no face")
            reasons.append("no speech" if not spoken else "no transcribable speech")
            raise UserInputError(f"{info.path}: nothing to analyse ({' and '.join(reasons)} found)")
        return rows

    def _faces(self, info: MediaInfo, utterances: Sequence[Utterance], report: Progress) -> dict[int, PooledFace]:
        o = self.options
        wanted: dict[float, list[int]] = {}
        for i, u in enumerate(utterances):
            n = int(min(o.max_frames, max(1, np.floor(u.duration * o.fps))))
            step = u.duration / n
            for k in range(n):
                t = round(u.start + (k + 0.5) * step, 3)
                wanted.setdefault(t, []).append(i)
        per_utt: dict[int, list] = {i: [] for i in range(len(utterances))}
        total = len(wanted)
        report("face", 0, total)
        batch: list[tuple[float, np.ndarray]] = []
        done = 0
        for t, image in iter_frames(info.path, list(wanted), o.max_side):
            batch.append((t, image))
            if len(batch) >= 16:
                done += self._score_frames(batch, wanted, per_utt)
                batch = []
                report("face", done, total)
        done += self._score_frames(batch, wanted, per_utt)
        report("face", total, total)
        return {i: pool(frames) for i, frames in per_utt.items() if frames}

    def _score_frames(self, batch: list[tuple[float, np.ndarray]], wanted: dict[float, list[int]],
                      per_utt: dict[int, list]) -> int:
        for frame in self.face_model.frames(batch):
            for i in wanted[frame.time]:
                per_utt[i].append(frame)
        return len(batch)

    # -- rows ------------------------------------------------------------------------------
    def _row(self, info: MediaInfo, u: Utterance, text: np.ndarray | None, face: PooledFace | None,
             voice: dict[str, float] | None) -> dict[str, Any] | None:
        face_probs = face.probabilities if face is not None else None
        fused = late_fusion({"text": text, "face": face_probs})
        if fused is None:
            return None
        row: dict[str, Any] = {
            "source": info.path.name, "start": round(u.start, 3), "end": round(u.end, 3),
            "speaker": "", "language": u.language or (_text_language(u.text, self.options.language) if u.text else ""),
            "text": u.text, "emotion": fused.emotion, "confidence": round(fused.confidence, 4),
        }
        row.update({label: float(p) for label, p in zip(LABELS, fused.probabilities)})
        for name, probs in (("text", text), ("face", face_probs)):
            row.update({f"{name}_{label}": float(p) for label, p in zip(LABELS, probs)}
                       if probs is not None else _nan_row(name))
        row.update(_nan_row("voice"))
        row["face_frames"] = face.frames if face is not None else 0
        row["face_count"] = face.max_faces if face is not None else 0
        row["modalities"] = "+".join(m for m, p in (("text", text), ("face", face_probs)) if p is not None)
        for name in PROSODY_NAMES:
            row[name] = voice[name] if voice else float("nan")
        return row

    def _table(self, rows: list[dict[str, Any]]) -> "pd.DataFrame":
        import pandas as pd

        df = pd.DataFrame(rows)
        return df[list(COLUMNS) + list(PROSODY_NAMES)]


def analyze(path: str | Path, options: AnalyzeOptions | None = None, *,
            progress: Progress | None = None, **overrides: Any) -> "pd.DataFrame":
    """Analyse one file (video, audio, image or UTF-8 .txt) → one row per utterance.

    Keyword overrides are AnalyzeOptions fields, e.g. ``analyze("a.mp4", language="ko", fps=2)``.
    """
    opts = replace(options or AnalyzeOptions(), **overrides)
    return Analyzer(opts).analyze(path, progress)
