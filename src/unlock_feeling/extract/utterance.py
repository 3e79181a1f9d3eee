"""One path from a file and its spans to their features, used by analysis (`pipeline.Analyzer`)
and by dataset extraction (`extract.dataset`) alike: the same extractors, the same keys, the same
rules, so a feature extracted for training is a cache hit at analysis time and vice versa.

The rules, in one place:

- **text**: a span with non-empty text; keyed by the sha256 of the UTF-8 text (and the model's).
- **face**: files with video, or a still image; frames sampled by `FaceExtractor.sample_times`
  over the span; keyed by (file sha256, span).
- **voice**: files with audio, for spans that hold speech and at least `MIN_VOICE_SECONDS` of
  audio; keyed by (file sha256, span).

A span is given in seconds; `Span.whole(duration)` covers a whole labelled clip. A still image's
one span is (0, 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from unlock_feeling.extract.registry import FaceExtractor, TextExtractor, VoiceExtractor
from unlock_feeling.media.decode import SAMPLE_RATE, MediaInfo, iter_frames, load_audio
from unlock_feeling.progress import Progress, no_progress
from unlock_feeling.store.keys import FeatureKey, sha256_path

if TYPE_CHECKING:
    from unlock_feeling.extract.face import FrameFace
    from unlock_feeling.store.parquet import FeatureStore

MIN_VOICE_SECONDS = 0.1
FACE_BATCH = 16
Stored = tuple[np.ndarray, dict[str, Any]]


@dataclass
class Extractors:
    """The three registered extractors used together (their models load lazily)."""

    text: TextExtractor = field(default_factory=TextExtractor)
    voice: VoiceExtractor = field(default_factory=VoiceExtractor)
    face: FaceExtractor = field(default_factory=FaceExtractor)

    def all(self) -> tuple[TextExtractor, VoiceExtractor, FaceExtractor]:
        return self.text, self.voice, self.face


@dataclass
class FeatureCache:
    """Feature-store lookups with buffered writes (or nothing at all without a store).

    Writes wait in memory until `flush()` so that many small results become one shard; lookups
    see them before that."""

    store: "FeatureStore | None" = None
    _pending: dict[str, tuple[str, FeatureKey, np.ndarray, dict[str, Any]]] = field(default_factory=dict)
    """key id → (extractor, key, vector, metadata), not yet written."""

    def get(self, keys: Sequence[FeatureKey]) -> dict[str, Stored]:
        if self.store is None or not keys:
            return {}
        found = {k.id: (p[2], p[3]) for k in keys if (p := self._pending.get(k.id)) is not None}
        rest = [k for k in keys if k.id not in found]
        found.update({k: (f.vector, f.meta) for k, f in self.store.get_many(rest).items()})
        return found

    def put(self, extractor: str, items: Sequence[tuple[FeatureKey, np.ndarray, dict[str, Any]]]) -> None:
        if self.store is not None:
            self._pending.update({k.id: (extractor, k, v, m) for k, v, m in items})

    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        if self.store is not None:
            by_extractor: dict[str, list[tuple[FeatureKey, np.ndarray, dict[str, Any]]]] = {}
            for extractor, k, v, m in self._pending.values():
                by_extractor.setdefault(extractor, []).append((k, v, m))
            for extractor, items in by_extractor.items():
                self.store.put(extractor, items)
        self._pending.clear()


@dataclass(frozen=True)
class Span:
    """A stretch of a file (seconds) with what was said in it."""

    start: float
    end: float
    text: str = ""
    speech: bool = True
    """Whether the span holds speech (False for the fixed windows of a video without speech)."""


@dataclass
class SpanFeatures:
    """The features of one span; None where the modality is absent. `keys` names, per modality,
    the stored feature (key id) when one with content exists."""

    text: np.ndarray | None = None
    face: np.ndarray | None = None
    voice: np.ndarray | None = None
    prosody: dict[str, float] | None = None
    face_meta: dict[str, Any] = field(default_factory=dict)
    """Where the face that counted most is (`face_time`, `face_box`); empty when unknown."""
    keys: dict[str, str] = field(default_factory=dict)


@dataclass
class MediaSource:
    """A probed file: its sha256 (only computed when a store needs keys) and its audio, decoded
    once on first use."""

    info: MediaInfo
    keyed: bool = True
    report: Progress = no_progress

    @cached_property
    def content(self) -> str:
        return sha256_path(self.info.path) if self.keyed else ""

    @cached_property
    def _audio(self) -> np.ndarray:
        self.report("decode", 0, 1)
        audio = load_audio(self.info.path)
        self.report("decode", 1, 1)
        return audio

    def audio(self) -> np.ndarray:
        return self._audio

    def clip(self, start: float, end: float) -> np.ndarray:
        return self._audio[int(start * SAMPLE_RATE):int(end * SAMPLE_RATE)]


def compute_features(media: MediaSource | None, spans: Sequence[Span], ex: Extractors, cache: FeatureCache,
                     report: Progress = no_progress, scored: FrameResults | None = None) -> list[SpanFeatures]:
    """The features of each span of one file (or of bare text when `media` is None); `scored`
    frames (see `score_frames`) are reused instead of decoded again."""
    out = [SpanFeatures() for _ in spans]
    _text(spans, out, ex.text, cache, report)
    if media is not None and media.info.kind == "image":
        _image(media, out, ex.face, cache, report)
    elif media is not None:
        if media.info.has_video:
            _faces(media, spans, out, ex.face, cache, report, scored)
        if media.info.has_audio:
            _voices(media, spans, out, ex.voice, cache, report)
    return out


def usable(vector: np.ndarray | None) -> bool:
    """A feature with content (an empty vector: no face found)."""
    return vector is not None and vector.size > 0


def _text(spans: Sequence[Span], out: list[SpanFeatures], ex: TextExtractor, cache: FeatureCache,
          report: Progress) -> None:
    spoken = [i for i, s in enumerate(spans) if s.text]
    if not spoken:
        return
    keys = {i: ex.text_key(spans[i].text) for i in spoken}
    hits = cache.get(list(keys.values()))
    todo = [i for i in spoken if keys[i].id not in hits]
    report("text", 0, len(spoken))
    if todo:
        vectors = ex([spans[i].text for i in todo])
        new: list[tuple[FeatureKey, np.ndarray, dict[str, Any]]] = [(keys[i], v, {}) for i, v in zip(todo, vectors)]
        cache.put(ex.name, new)
        hits.update({k.id: (v, m) for k, v, m in new})
    for i in spoken:
        out[i].text = hits[keys[i].id][0]
        out[i].keys["text"] = keys[i].id
    report("text", len(spoken), len(spoken))


def _image(media: MediaSource, out: list[SpanFeatures], ex: FaceExtractor, cache: FeatureCache,
           report: Progress) -> None:
    key = ex.key(media.content, 0.0, 0.0)
    hit = cache.get([key]).get(key.id)
    report("face", 0, 1)
    if hit is None:
        hit = ex.image(media.info.path)
        cache.put(ex.name, [(key, hit[0], hit[1])])
    report("face", 1, 1)
    for f in out:
        f.face, f.face_meta = hit
        if usable(hit[0]):
            f.keys["face"] = key.id


FrameResults = dict[float, "FrameFace | None"]
"""Scored frames by time (None: no face in that frame)."""


def score_frames(media: MediaSource, times: Sequence[float], ex: FaceExtractor,
                 report: Progress = no_progress) -> FrameResults:
    """Decode the frames at `times` (streaming) and score the largest face in each, in batches."""
    wanted = sorted(set(times))
    found: FrameResults = dict.fromkeys(wanted)
    total, done, batch = len(wanted), 0, []
    report("face", 0, total)

    def score(batch: list[tuple[float, np.ndarray]]) -> int:
        for frame in ex.frames(batch):
            found[frame.time] = frame
        return len(batch)

    for t, image in iter_frames(media.info.path, wanted, ex.config.max_side):
        batch.append((t, image))
        if len(batch) >= FACE_BATCH:
            done += score(batch)
            batch = []
            report("face", done, total)
    score(batch)
    report("face", total, total)
    return found


def _faces(media: MediaSource, spans: Sequence[Span], out: list[SpanFeatures], ex: FaceExtractor,
           cache: FeatureCache, report: Progress, scored: FrameResults | None = None) -> None:
    """Pool each span's frames; frames already scored (`scored`, e.g. while speech was being
    recognised) are reused, the others are decoded and scored now."""
    keys = [ex.key(media.content, s.start, s.end) for s in spans]
    hits = cache.get(keys)
    todo = [i for i, k in enumerate(keys) if k.id not in hits]
    if todo:
        times = {i: ex.sample_times(spans[i].start, spans[i].end) for i in todo}
        known = dict(scored or {})
        missing = sorted({t for ts in times.values() for t in ts if t not in known})
        if missing or not known:
            known.update(score_frames(media, missing, ex, report))
        new: list[tuple[FeatureKey, np.ndarray, dict[str, Any]]] = [
            (keys[i], *ex.describe([fr for t in times[i] if (fr := known.get(t)) is not None])) for i in todo]
        cache.put(ex.name, new)
        hits.update({k.id: (v, m) for k, v, m in new})
    for f, k in zip(out, keys):
        f.face, f.face_meta = hits[k.id]
        if usable(f.face):
            f.keys["face"] = k.id


def _voices(media: MediaSource, spans: Sequence[Span], out: list[SpanFeatures], ex: VoiceExtractor,
            cache: FeatureCache, report: Progress) -> None:
    chosen = [i for i, s in enumerate(spans) if s.speech and s.end - s.start >= MIN_VOICE_SECONDS]
    if not chosen:
        return
    keys = {i: ex.key(media.content, spans[i].start, spans[i].end) for i in chosen}
    hits = cache.get(list(keys.values()))
    report("voice", 0, len(chosen))
    new: list[tuple[FeatureKey, np.ndarray, dict[str, Any]]] = []
    for n, i in enumerate(chosen):
        k = keys[i]
        if k.id not in hits:
            clip = media.clip(spans[i].start, spans[i].end)
            if len(clip) < int(MIN_VOICE_SECONDS * SAMPLE_RATE):
                continue  # the audio track ends before the span does
            vec, prosody = ex(clip, spans[i].text)
            new.append((k, vec, prosody))
            hits[k.id] = (vec, prosody)
        out[i].voice, out[i].prosody = hits[k.id]
        out[i].keys["voice"] = k.id
        report("voice", n + 1, len(chosen))
    cache.put(ex.name, new)
