"""Extract a labelled dataset into a feature store, resumably, on a process pool or on Ray.

Samples are processed in chunks. A worker computes a chunk's features with the registered
extractors, writes them as shards, then writes the chunk's rows of the dataset manifest
(`samples/<dataset>`) — that last write is the chunk's commit. A run killed at any point resumes
from the committed chunks; a half-done chunk is simply computed again (its feature shards, if
any, hold the same values under the same keys).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from unlock_feeling.datasets.base import Sample
from unlock_feeling.errors import UserInputError
from unlock_feeling.extract.registry import FaceExtractor, FaceFeatureConfig, TextExtractor, TextFeatureConfig, VoiceExtractor
from unlock_feeling.extract.voice import VoiceConfig

Engine = Literal["local", "ray"]
SAMPLE_COLUMNS = ("id", "path", "label", "text", "speaker", "split", "start", "end", "dataset", "source_label")


@dataclass(frozen=True)
class ExtractConfig:
    text: TextFeatureConfig = field(default_factory=TextFeatureConfig)
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    face: FaceFeatureConfig = field(default_factory=FaceFeatureConfig)
    chunk_size: int = 32

    def to_json(self) -> str:
        return json.dumps({"text": asdict(self.text), "voice": asdict(self.voice), "face": asdict(self.face)},
                          sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> "ExtractConfig":
        d = json.loads(raw)
        return cls(TextFeatureConfig(**d["text"]), VoiceConfig(**d["voice"]), FaceFeatureConfig(**d["face"]))

    def signature(self) -> str:
        """Names, versions and config hashes of the extractors (what a trained model depends on)."""
        ex = _extractors(self.to_json())
        return json.dumps({e.name: e.signature() for e in (ex.text, ex.voice, ex.face)}, sort_keys=True)


@dataclass
class ExtractSummary:
    dataset: str
    total: int = 0
    already_done: int = 0
    extracted: int = 0
    failed: Counter = field(default_factory=Counter)

    def line(self) -> str:
        s = (f"{self.dataset}: {self.total} samples — {self.extracted} extracted, {self.already_done} already "
             f"in the store, {sum(self.failed.values())} skipped")
        if self.failed:
            s += " (" + ", ".join(f"{k}: {v}" for k, v in self.failed.most_common()) + ")"
        return s


@dataclass
class _Extractors:
    text: TextExtractor
    voice: VoiceExtractor
    face: FaceExtractor


@lru_cache(maxsize=2)
def _extractors(config_json: str) -> _Extractors:
    """One set of extractors (models loaded lazily) per worker process and config."""
    c = ExtractConfig.from_json(config_json)
    return _Extractors(TextExtractor(c.text), VoiceExtractor(c.voice), FaceExtractor(c.face))


def _sample_features(s: Sample, ex: _Extractors, store: Any) -> tuple[dict[str, tuple[Any, np.ndarray, dict]], str]:
    """One sample's features: ({modality: (key, vector, meta)}, error). A feature already in the
    store under the same key (same content, span, extractor version and config) is not recomputed;
    it comes back with vector None."""
    from unlock_feeling.media.decode import SAMPLE_RATE, iter_frames, load_audio, probe
    from unlock_feeling.store.keys import sha256_path

    out: dict[str, tuple[Any, Any, dict]] = {}
    if s.text:
        key = ex.text.text_key(s.text)
        out["text"] = (key, None, {}) if store.has(key) else (key, ex.text([s.text])[0], {})
    if not s.path:
        return out, "" if out else "no text and no media"
    try:
        info = probe(s.path)
        content = sha256_path(s.path)
        end = s.end if s.end > s.start else info.duration
        face_key = ex.face.key(content, s.start, s.end)
        voice_key = ex.voice.key(content, s.start, s.end)
        if info.kind == "image":
            out["face"] = (face_key, None, {}) if store.has(face_key) else \
                (face_key, ex.face.image(s.path), {})
        elif info.kind in ("audio", "video"):
            if info.has_audio and store.has(voice_key):
                out["voice"] = (voice_key, None, {})
            elif info.has_audio:
                audio = load_audio(s.path)
                clip = audio[int(s.start * SAMPLE_RATE):int(end * SAMPLE_RATE)] if end > s.start else audio
                if len(clip) >= SAMPLE_RATE // 10:
                    vec, prosody = ex.voice(clip, s.text)
                    out["voice"] = (voice_key, vec, prosody)
            if info.has_video and store.has(face_key):
                out["face"] = (face_key, None, {})
            elif info.has_video:
                times = ex.face.sample_times(s.start, end)
                frames = ex.face.frames(list(iter_frames(s.path, times, ex.face.config.max_side)))
                out["face"] = (face_key, ex.face(frames), {})
        else:
            return out, "not a media file"
    except UserInputError as e:
        return {}, str(e).split(": ", 1)[-1]
    return out, ""


def extract_chunk(store_root: str, dataset: str, samples: list[dict[str, Any]], config_json: str) -> dict[str, Any]:
    """Worker entry point (process pool or Ray task): extract, write shards, commit the manifest rows."""
    import pyarrow as pa

    from unlock_feeling.store.parquet import FeatureStore

    ex = _extractors(config_json)
    store = FeatureStore(Path(store_root))
    batches: dict[str, list] = {"text": [], "voice": [], "face": []}
    rows = []
    failed: Counter = Counter()
    for d in samples:
        s = Sample(**d)
        feats, error = _sample_features(s, ex, store)
        if error:
            failed[error] += 1
        keys = {}
        for modality, (key, vector, meta) in feats.items():
            if vector is not None:
                batches[modality].append((key, vector, meta))
            usable = vector.size > 0 if vector is not None else bool(store.stored_size(key))
            keys[modality] = key.id if usable else ""
        rows.append({**{c: getattr(s, c) for c in SAMPLE_COLUMNS},
                     **{f"{m}_key": keys.get(m, "") for m in batches}, "error": error})
        if sum(len(b) for b in batches.values()) >= 256:
            _flush(store, ex, batches)
    _flush(store, ex, batches)
    table = pa.Table.from_pylist(rows)
    table = table.replace_schema_metadata({"extractors": ExtractConfig.from_json(config_json).signature()})
    store.put_table("samples", dataset, table)
    return {"done": len(rows), "failed": dict(failed)}


def _flush(store: Any, ex: _Extractors, batches: dict[str, list]) -> None:
    for modality, items in batches.items():
        store.put(getattr(ex, modality).name, items)
        items.clear()


def committed_ids(store_root: Path, dataset: str, signature: str) -> set[str]:
    """Sample ids already extracted (with the same extractors) in this store."""
    import pyarrow.parquet as pq

    from unlock_feeling.store.parquet import FeatureStore

    done: set[str] = set()
    for shard in FeatureStore(store_root).tables("samples", dataset):
        meta = pq.read_schema(shard).metadata or {}
        if meta.get(b"extractors", b"").decode() == signature:
            done.update(pq.read_table(shard, columns=["id"]).column("id").to_pylist())
    return done


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def extract_dataset(samples: Sequence[Sample], store_root: Path, dataset: str, config: ExtractConfig = ExtractConfig(),
                    engine: Engine = "local", workers: int = 1, ray_address: str | None = None,
                    progress: Callable[[int, int], None] | None = None) -> ExtractSummary:
    from unlock_feeling.store.parquet import FeatureStore

    store_root = Path(store_root)
    FeatureStore(store_root).clean_temporary()
    signature = config.signature()
    done = committed_ids(store_root, dataset, signature)
    todo = [asdict(s) for s in samples if s.id not in done]
    summary = ExtractSummary(dataset, total=len(samples), already_done=len(samples) - len(todo))
    report = progress or (lambda done, total: None)
    report(summary.already_done, summary.total)
    chunks = list(_chunks(todo, config.chunk_size))
    args = [(str(store_root), dataset, chunk, config.to_json()) for chunk in chunks]
    results = _run_ray(args, workers, ray_address) if engine == "ray" else _run_local(args, workers)
    for result in results:
        summary.extracted += result["done"] - sum(result["failed"].values())
        summary.failed.update(result["failed"])
        report(summary.already_done + summary.extracted + sum(summary.failed.values()), summary.total)
    return summary


def _run_local(args: list[tuple], workers: int) -> Iterator[dict[str, Any]]:
    if workers <= 1:
        for a in args:
            yield extract_chunk(*a)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(extract_chunk, *a) for a in args]
        for f in as_completed(futures):
            yield f.result()


def _run_ray(args: list[tuple], workers: int, address: str | None) -> Iterator[dict[str, Any]]:
    try:
        import ray
    except ImportError:
        raise UserInputError("--engine ray needs Ray: pip install 'unlock-feeling[ray]'") from None
    started = False
    if not ray.is_initialized():
        ray.init(address=address, num_cpus=None if address else max(workers, 1), include_dashboard=False,
                 log_to_driver=False, ignore_reinit_error=True)
        started = True
    try:
        task = ray.remote(num_cpus=1)(extract_chunk)
        pending = [task.remote(*a) for a in args]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            yield ray.get(ready[0])
    finally:
        if started:
            ray.shutdown()
