"""The whole pipeline: media → segment → extract (text, face, voice) → [store] → fuse → table."""

from __future__ import annotations

import importlib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import numpy as np

from unlock_feeling.config import ExpressionModel, Language, to_dict
from unlock_feeling.errors import ModelError, UserInputError
from unlock_feeling.extract.face import FaceFeatureConfig, PooledFace
from unlock_feeling.extract.registry import FaceExtractor, TextExtractor, TextFeatureConfig, VoiceExtractor
from unlock_feeling.extract.utterance import (Extractors, FeatureCache, FrameResults, MediaSource, Span, SpanFeatures,
                                              compute_features, score_frames, usable)
from unlock_feeling.extract.voice import VoiceConfig
from unlock_feeling.fuse.late import late_fusion
from unlock_feeling.labels import MODALITIES
from unlock_feeling.media.decode import SAMPLE_RATE, MediaInfo, probe
from unlock_feeling.progress import Progress, no_progress
from unlock_feeling.result import AnalysisInfo, UtteranceResult, to_frame
from unlock_feeling.segment.asr import LANGUAGES, AsrConfig, Transcriber, split_sentences
from unlock_feeling.segment.speakers import SpeakerConfig, SpeakerEncoder, cluster, context_window
from unlock_feeling.segment.vad import Utterance, VadConfig, fixed_windows, speech_spans
from unlock_feeling.store.keys import FeatureKey, config_hash

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    import pandas as pd

    from unlock_feeling.fuse.model import FusionModel
    from unlock_feeling.store.parquet import FeatureStore

MAX_TEXT_BYTES = 20_000_000
SPEAKER_BATCH = 64
"""Utterances embedded together (progress and cancelling are checked between batches)."""
SHORT_CLIP_S = 8.0
"""Media shorter than this do not preload the speaker model: one utterance needs none."""
SEGMENTER = ("segment-whisper", "2")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


@dataclass(frozen=True)
class AnalyzeOptions:
    """Every setting of an analysis: a few top-level ones and one config per stage (each extractor
    owns its config type). `threads` is run-time only: it never changes a result or a cache key."""

    language: Language = "auto"
    """Spoken/written language; `auto` chooses Korean or English per utterance."""
    window: float = 2.0
    """Window length (s) for videos without speech (face only)."""
    speakers: bool = True
    """Give utterances speaker ids (S1, S2, ...) from voice embeddings."""
    threads: int = 2
    """CPU threads per model."""
    model: str | None = None
    """A fusion model trained with `unlock-feeling train` (directory); None = late fusion."""
    store: str | None = None
    """A feature store directory used as a cache: analysing the same file twice recomputes nothing."""
    asr: AsrConfig = field(default_factory=AsrConfig)
    """Speech recognition (`asr.languages` is set from `language`)."""
    vad: VadConfig = field(default_factory=VadConfig)
    speaker: SpeakerConfig = field(default_factory=SpeakerConfig)
    text: TextFeatureConfig = field(default_factory=TextFeatureConfig)
    face: FaceFeatureConfig = field(default_factory=FaceFeatureConfig)
    voice: VoiceConfig = field(default_factory=VoiceConfig)

    def __post_init__(self) -> None:
        if self.language not in get_args(Language):
            raise UserInputError(f"language must be auto, ko or en, not {self.language!r}", "language")
        if self.face.expression not in get_args(ExpressionModel):
            raise UserInputError(f"face expression model must be one of {', '.join(get_args(ExpressionModel))}, "
                                 f"not {self.face.expression!r}", "face_model")
        for name, value, low, high in option_limits(self):
            if not low <= value <= high:  # also rejects NaN
                raise UserInputError(f"{name} must be between {low:g} and {high:g}, not {value:g}", name)


def option_limits(o: AnalyzeOptions) -> list[tuple[str, float, float, float]]:
    """(name, value, lowest, highest) of every numeric option: the work per file stays bounded."""
    return [("window", o.window, 0.5, 600.0), ("fps", o.face.fps, 0.1, 30.0),
            ("max_frames", o.face.max_frames, 1, 600), ("beam_size", o.asr.beam_size, 1, 10),
            ("batch_size", o.asr.batch_size, 1, 64), ("threads", o.threads, 1, 64),
            ("max_side", o.face.max_side, 64, 4096), ("short_window_s", o.asr.short_window_s, 0.0, 30.0),
            ("max_window_s", o.asr.max_window_s, 1.0, 29.5),
            ("window_margin_s", o.asr.window_margin_s, 0.0, 10.0)]


def _span(u: Utterance) -> Span:
    return Span(u.start, u.end, u.text, speech=bool(u.text))


def _fusion_sha256(folder: Path) -> str:
    from unlock_feeling.store.keys import sha256_path

    weights = folder / "model.safetensors"
    return sha256_path(weights) if weights.is_file() else ""


def _text_language(text: str, option: str) -> str:
    """`option` unless auto: Korean if the text has Hangul, English if it has other letters, ""
    (not told) for a text of emoji, digits or punctuation only."""
    if option != "auto":
        return option
    if _HANGUL.search(text):
        return "ko"
    return "en" if any(c.isalpha() for c in text) else ""


def window_pieces(line: str, fits: Callable[[str], bool]) -> list[str]:
    """A text line as rows: the line itself if it `fits` the text model's window, else its
    sentences, consecutive ones joined while they fit (so no text is cut off, except inside a
    single sentence longer than the window)."""
    if fits(line):
        return [line]
    pieces: list[str] = []
    for sentence in split_sentences(line):
        if pieces and fits(joined := f"{pieces[-1]} {sentence}"):
            pieces[-1] = joined
        else:
            pieces.append(sentence)
    return pieces


def _line_languages(lines: list[str], option: str) -> list[str]:
    """`_text_language` per line; a line that tells none ("😭😭", "...") takes the language most
    lines of its file have."""
    langs = [_text_language(line, option) for line in lines]
    known = Counter(lang for lang in langs if lang).most_common(1)
    return [lang or (known[0][0] if known else "") for lang in langs]


@dataclass
class _Item:
    """One row in the making: an utterance and its features."""

    utterance: Utterance
    features: SpanFeatures = field(default_factory=SpanFeatures)


@dataclass
class Analyzer:
    """Holds the loaded models; reuse one Analyzer for many files.

    Models load on first need, and those an input will need start loading in a background thread
    as soon as the input is probed, so that they load while the file is decoded and transcribed."""

    options: AnalyzeOptions = field(default_factory=AnalyzeOptions)
    _loader: "ThreadPoolExecutor | None" = field(default=None, init=False, repr=False)
    _scorer: "ThreadPoolExecutor | None" = field(default=None, init=False, repr=False)
    _loading: "dict[str, Future[Any]]" = field(default_factory=dict, init=False, repr=False)

    def _preload(self, info: MediaInfo, frame: bool) -> None:
        """Start loading the models `info` will need (none with a feature store: its cache hits
        may make them unnecessary), and pandas if the results become a DataFrame (`frame`)."""
        if self.store is not None:
            return
        wanted: list[tuple[str, Callable[[], Any]]] = []
        if info.has_audio:  # needed first: the recogniser
            wanted.append(("asr", lambda: self.transcriber.model))
        if info.has_video:  # next the face models, whose frames are scored while the recogniser runs
            wanted.append(("face", self.extractors.face.analyzer.load))
        if info.kind != "image":  # the text model is needed only once the recogniser is done
            wanted.append(("text", lambda: self.extractors.text.model.encoder))
        if info.has_audio and self.options.speakers and not 0 < info.duration < SHORT_CLIP_S:
            wanted.append(("speakers", lambda: self.speaker_encoder.load()))  # (short clips: after ASR, if needed)
        if frame:
            wanted.append(("pandas", lambda: importlib.import_module("pandas")))  # for the table
        todo = [(name, fn) for name, fn in wanted if name not in self._loading]
        if todo:
            from concurrent.futures import ThreadPoolExecutor

            self._loader = self._loader or ThreadPoolExecutor(1, thread_name_prefix="unlock-feeling-load")
            for name, fn in todo:
                self._loading[name] = self._loader.submit(fn)

    def _loaded(self, *names: str) -> None:
        """Wait for background loads (re-raising their errors) before the models are used; without
        names, for every model (not for pandas, which the table needs only at the end)."""
        for name in names or tuple(n for n in self._loading if n != "pandas"):
            future = self._loading.get(name)
            if future is not None:
                future.result()

    @cached_property
    def extractors(self) -> Extractors:
        o = self.options
        return Extractors(TextExtractor(o.text, o.threads), VoiceExtractor(o.voice), FaceExtractor(o.face, o.threads))

    @property
    def text_extractor(self) -> TextExtractor:
        return self.extractors.text

    @property
    def face_extractor(self) -> FaceExtractor:
        return self.extractors.face

    @property
    def voice_extractor(self) -> VoiceExtractor:
        return self.extractors.voice

    @cached_property
    def asr_config(self) -> AsrConfig:
        langs = LANGUAGES if self.options.language == "auto" else (self.options.language,)
        return replace(self.options.asr, languages=langs)

    @cached_property
    def transcriber(self) -> Transcriber:
        return Transcriber(self.asr_config, self.options.threads)

    @cached_property
    def store(self) -> "FeatureStore | None":
        if not self.options.store:
            return None
        from unlock_feeling.store.parquet import FeatureStore

        return FeatureStore(Path(self.options.store))

    @cached_property
    def fusion_model(self) -> "FusionModel | None":
        if not self.options.model:
            return None
        from unlock_feeling.fuse.model import FusionModel

        return FusionModel.load(Path(self.options.model))

    # -- entry point -----------------------------------------------------------------------
    def iter_utterances(self, path: str | Path, progress: Progress | None = None) -> Iterator[UtteranceResult]:
        """Analyse one file, yielding one typed result per utterance (sentence, window, text line
        or image). Bad input raises UserInputError before anything is yielded."""
        return self._utterances(path, progress, frame=False)

    def _utterances(self, path: str | Path, progress: Progress | None, frame: bool) -> Iterator[UtteranceResult]:
        report = progress or no_progress
        info = probe(path)
        self._preload(info, frame)
        if self.fusion_model is not None:
            self.fusion_model.check_extractors(*self.extractors.all())
        cache = FeatureCache(self.store)
        if info.kind == "text":
            items = self._text_file(info)
            self._loaded()
            for item, f in zip(items, compute_features(None, [_span(it.utterance) for it in items], self.extractors,
                                                       cache, report)):
                item.features = f
        else:
            media = MediaSource(info, keyed=cache.store is not None, report=report)
            scoring: list[Future[FrameResults]] = []

            def faces_meanwhile(speech: list[Utterance]) -> None:
                """Score the speech spans' frames in the background while they are transcribed."""
                if info.has_video and "face" in self._loading:
                    from concurrent.futures import ThreadPoolExecutor

                    grid = sorted({t for u in speech for t in self.extractors.face.grid(u.start, u.end)})

                    def score() -> FrameResults:
                        self._loaded("face")  # the models, loaded by the loader thread
                        return score_frames(media, grid, self.extractors.face, report)

                    self._scorer = self._scorer or ThreadPoolExecutor(1, thread_name_prefix="unlock-feeling-faces")
                    scoring.append(self._scorer.submit(score))

            if info.kind == "image":
                utterances = [Utterance(0.0, 0.0)]
            else:
                utterances = self._segments(media, cache, report, faces_meanwhile)
            spans = [_span(u) for u in utterances]
            self._loaded()
            scored = scoring[0].result() if scoring else None
            items = [_Item(u, f) for u, f in zip(utterances, compute_features(media, spans, self.extractors, cache,
                                                                               report, scored))]
            if info.kind == "image" and not usable(items[0].features.face):
                raise UserInputError(f"{info.path}: no face found in the image")
        cache.flush()
        report("fuse", 0, len(items))
        results = [r for item in items if (r := self._result(info, item)) is not None]
        report("fuse", len(items), len(items))
        if not results:
            raise UserInputError(f"{info.path}: nothing to analyse ({self._why_empty(info)})")
        yield from results

    def analyze(self, path: str | Path, progress: Progress | None = None) -> "pd.DataFrame":
        """Analyse one file → the result table (COLUMNS), with its AnalysisInfo in `.attrs`."""
        return to_frame(list(self._utterances(path, progress, frame=True)), self.info([Path(path).name]))

    def info(self, sources: Sequence[str] = ()) -> AnalysisInfo:
        """What this analyzer produces results with: options, extractor signatures, model sha256s."""
        import datetime

        from unlock_feeling import __version__

        return AnalysisInfo(__version__, to_dict(self.options),
                            {e.name: e.signature() for e in self.extractors.all()}, self._models(), list(sources),
                            datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))

    def _models(self) -> dict[str, str]:
        from unlock_feeling.models.registry import MODELS

        known = {m.name: m.sha256 for m in MODELS}
        o = self.options
        names = [o.asr.model, "silero-vad-v6"] + (["speaker-ge2e"] if o.speakers else [])
        models = {n: known.get(n, "") for n in names}
        for ex in self.extractors.all():
            models.update(ex.models())
        text = models.pop("text")  # the text model by its own name
        models[o.text.model if o.text.model in known else Path(o.text.model).name] = text
        if o.model:
            models[f"fusion:{Path(o.model).name}"] = _fusion_sha256(Path(o.model))
        return models

    def analyze_many(self, paths: Sequence[str | Path], progress: Progress | None = None) -> Iterator[FileResult]:
        """Analyse files one after another with the same loaded models, yielding each result as it
        is done; a file that fails (bad input) is reported in its result, the others go on."""
        import time

        for path in paths:
            t0 = time.perf_counter()
            try:
                table = self.analyze(path, progress)
            except (UserInputError, ModelError) as e:
                yield FileResult(Path(path), None, str(e), time.perf_counter() - t0)
            else:
                yield FileResult(Path(path), table, "", time.perf_counter() - t0)

    # -- per input kind --------------------------------------------------------------------
    def _text_file(self, info: MediaInfo) -> list[_Item]:
        size = info.path.stat().st_size
        if size > MAX_TEXT_BYTES:
            raise UserInputError(f"{info.path}: text file too large ({size / 1e6:.0f} MB; at most "
                                 f"{MAX_TEXT_BYTES // 1_000_000} MB)")
        try:
            content = info.path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UserInputError(f"{info.path}: not UTF-8 text") from None
        lines = [line.strip() for line in content.splitlines() if line.strip()]
        if not lines:
            raise UserInputError(f"{info.path}: contains no text")
        self._loaded("text")  # the encoder's tokenizer tells which lines fit: wait for its background load
        fits = self.extractors.text.model.encoder.fits
        return [_Item(Utterance(float("nan"), float("nan"), piece, lang))
                for line, lang in zip(lines, _line_languages(lines, self.options.language))
                for piece in window_pieces(line, fits)]

    def _segments(self, media: MediaSource, cache: FeatureCache, report: Progress,
                  on_speech: Callable[[list[Utterance]], None] | None = None) -> list[Utterance]:
        """VAD spans → recognised sentences (+ speaker ids); `on_speech(spans)` is called between
        the two, so that other work can start on the spans while the recogniser runs."""
        info = media.info
        settings = {"asr": asdict(self.asr_config), "vad": asdict(self.options.vad), "window": self.options.window,
                    "speakers": asdict(self.options.speaker) if self.options.speakers else None}
        key = FeatureKey(media.content, 0.0, 0.0, SEGMENTER[0], SEGMENTER[1], config_hash(settings))
        hit = cache.get([key]).get(key.id)
        if hit is not None:
            return [Utterance(**u) for u in hit[1]["utterances"]]
        utterances: list[Utterance] = []
        samples = 0
        if info.has_audio:
            wave = media.audio()
            samples = len(wave)
            report("vad", 0, 1)
            utterances = speech_spans(wave, self.options.vad)
            report("vad", 1, 1)
            if utterances and on_speech is not None:
                on_speech(utterances)
            if utterances:
                report("asr", 0, len(utterances))
                done = [0]

                def step(n: int) -> None:
                    done[0] += n
                    report("asr", done[0], len(utterances))

                self._loaded("asr")
                spans = [(u.start, u.end) for u in utterances]
                utterances = self.transcriber.transcribe(wave, utterances, step)
                if self.options.speakers:
                    self._speakers(wave, utterances, spans, report)
        duration = info.duration or samples / SAMPLE_RATE
        if not utterances:
            if not info.has_video:
                what = "no speech found" if samples >= SAMPLE_RATE // 2 else "too short to contain speech"
                raise UserInputError(f"{info.path}: {what} (audio of {duration:.1f} s)")
            utterances = fixed_windows(duration, self.options.window)
        cache.put(SEGMENTER[0], [(key, np.zeros(0, np.float32), {"utterances": [asdict(u) for u in utterances]})])
        return utterances

    @cached_property
    def speaker_encoder(self) -> SpeakerEncoder:
        return SpeakerEncoder()

    def _speakers(self, wave: np.ndarray, utterances: list[Utterance], spans: Sequence[tuple[float, float]],
                  report: Progress) -> None:
        """Speaker ids from voice embeddings of each sentence, heard over at least
        `SpeakerConfig.min_context` seconds of its own speech span (a 2 s sentence alone gives a noisy
        embedding: docs/benchmarks.md, speakers)."""
        if len(utterances) == 1:  # one voice: nothing to tell apart, no embedding needed
            utterances[0].speaker = cluster(np.zeros((1, 1), np.float32), [utterances[0].duration],
                                            self.options.speaker)[0]
            return
        self._loaded("speakers")
        report("speakers", 0, len(utterances))
        embeddings: list[np.ndarray] = []
        for n in range(0, len(utterances), SPEAKER_BATCH):  # many utterances per LSTM run
            part = utterances[n:n + SPEAKER_BATCH]
            windows = [context_window(u.start, u.end, spans, self.options.speaker.min_context) for u in part]
            embeddings += list(self.speaker_encoder.embed_many(
                [wave[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)] for a, b in windows]))
            report("speakers", n + len(part), len(utterances))
        for u, label in zip(utterances, cluster(np.stack(embeddings), [u.duration for u in utterances],
                                                self.options.speaker)):
            u.speaker = label

    # -- rows ------------------------------------------------------------------------------
    def _probabilities(self, item: _Item, face: PooledFace) -> dict[str, np.ndarray | None]:
        """Per-modality probabilities and, with a trained fusion model, its fused output."""
        f = item.features
        if self.fusion_model is not None:
            return self.fusion_model.predict(f.text, f.voice, f.face)
        text = self.extractors.text.probabilities(f.text[None])[0] if f.text is not None else None
        return {"text": text, "face": face.probabilities, "voice": None, "fused": None}

    def _result(self, info: MediaInfo, item: _Item) -> UtteranceResult | None:
        u, f = item.utterance, item.features
        face = FaceExtractor.from_vector(f.face if f.face is not None else np.zeros(0, np.float32))
        probs = self._probabilities(item, face)
        per_modality = {m: probs[m] for m in MODALITIES}
        fused = probs.get("fused")
        if fused is None:
            late = late_fusion(per_modality)
            if late is None:
                return None
            fused = late.probabilities
        fused = np.asarray(fused, np.float64)
        recognised = info.kind not in ("text", "image") and bool(u.text)
        box = f.face_meta.get("face_box")
        return UtteranceResult(
            source=info.path.name, start=u.start, end=u.end, text=u.text, speaker=u.speaker,
            language=u.language or (_text_language(u.text, self.options.language) if u.text else ""),
            probabilities=fused / fused.sum(), modality_probabilities=per_modality,
            face_frames=face.frames, face_count=face.max_faces,
            language_probability=u.language_probability if recognised else math.nan,
            asr_avg_logprob=u.avg_logprob if recognised else math.nan,
            asr_no_speech_prob=u.no_speech_prob if recognised else math.nan,
            prosody=f.prosody, face_time=f.face_meta.get("face_time"),
            face_box=tuple(box) if box else None)

    @staticmethod
    def _why_empty(info: MediaInfo) -> str:
        reasons = []
        if info.has_video:
            reasons.append("no face")
        reasons.append("no transcribable speech" if info.has_audio else "no speech")
        return " and ".join(reasons) + " found"

@dataclass(frozen=True)
class FileResult:
    """One input of `Analyzer.analyze_many`: its table, or the one-line reason it failed."""

    path: Path
    table: "pd.DataFrame | None"
    error: str = ""
    seconds: float = 0.0


def expand_inputs(specs: Sequence[str | Path]) -> list[Path]:
    """Files named by paths, folders (every non-hidden file below) and glob patterns, in order,
    without duplicates. A folder or pattern that names no file is an error."""
    import glob

    out: dict[Path, None] = {}  # ordered, without duplicates
    for spec in specs:
        text = str(spec)
        if Path(text).is_dir():
            found = sorted(p for p in Path(text).rglob("*")
                           if p.is_file() and not any(part.startswith(".") for part in p.relative_to(text).parts))
            if not found:
                raise UserInputError(f"{text}: folder contains no files")
        elif not Path(text).exists() and any(c in text for c in "*?["):
            found = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not found:
                raise UserInputError(f"{text}: no file matches")
        else:
            found = [Path(text)]
        out.update(dict.fromkeys(found))
    return list(out)


def analyze(path: str | Path, options: AnalyzeOptions | None = None, *,
            progress: Progress | None = None, **overrides: Any) -> "pd.DataFrame":
    """Analyse one file (video, audio, image or UTF-8 .txt) → one row per utterance.

    Keyword overrides are AnalyzeOptions fields, e.g. ``analyze("a.mp4", language="ko")`` or
    ``analyze("a.mp4", face=FaceFeatureConfig(fps=2))``.
    """
    opts = replace(options or AnalyzeOptions(), **overrides)
    return Analyzer(opts).analyze(path, progress)
