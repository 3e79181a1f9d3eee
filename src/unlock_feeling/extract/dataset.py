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
from typing import Any


from unlock_feeling.config import Engine, from_dict, to_dict
from unlock_feeling.datasets.base import Sample
from unlock_feeling.errors import UserInputError
from unlock_feeling.labels import MODALITIES
from unlock_feeling.extract.registry import FaceExtractor, FaceFeatureConfig, TextExtractor, TextFeatureConfig, VoiceExtractor
from unlock_feeling.extract.utterance import Extractors, FeatureCache, MediaSource, Span, SpanFeatures, compute_features
from unlock_feeling.extract.voice import VoiceConfig

SAMPLE_COLUMNS = ("id", "path", "label", "text", "speaker", "split", "start", "end", "dataset", "source_label")


@dataclass(frozen=True)
class ExtractConfig:
    text: TextFeatureConfig = field(default_factory=TextFeatureConfig)
    voice: VoiceConfig = field(default_factory=VoiceConfig)
    face: FaceFeatureConfig = field(default_factory=FaceFeatureConfig)
    chunk_size: int = 32

    def to_json(self) -> str:
        return json.dumps(to_dict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str) -> "ExtractConfig":
        return from_dict(cls, json.loads(raw))

    def signature(self) -> str:
        """Names, versions and config hashes of the extractors (what a trained model depends on)."""
        return json.dumps({e.name: e.signature() for e in _extractors(self.to_json()).all()}, sort_keys=True)


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


@lru_cache(maxsize=2)
def _extractors(config_json: str) -> Extractors:
    """One set of extractors (models loaded lazily) per worker process and config."""
    c = ExtractConfig.from_json(config_json)
    return Extractors(TextExtractor(c.text), VoiceExtractor(c.voice), FaceExtractor(c.face))


def sample_features(s: Sample, ex: Extractors, cache: FeatureCache) -> tuple[SpanFeatures, str]:
    """One labelled sample's features through the same path as analysis (extract/utterance.py):
    (features, error). A clip without start/end is one span over its whole length."""
    from unlock_feeling.media.decode import probe

    if not s.path:
        if not s.text:
            return SpanFeatures(), "no text and no media"
        return compute_features(None, [Span(0.0, 0.0, s.text)], ex, cache)[0], ""
    try:
        info = probe(s.path)
        if info.kind == "text":
            return SpanFeatures(), "not a media file"
        media = MediaSource(info)
        if info.kind == "image":
            span = Span(0.0, 0.0, s.text)
        else:
            end = s.end if s.end > s.start else info.duration
            span = Span(round(s.start, 3), round(end, 3), s.text, speech=info.has_audio)
        return compute_features(media, [span], ex, cache)[0], ""
    except UserInputError as e:
        return SpanFeatures(), str(e).split(": ", 1)[-1]


def extract_chunk(store_root: str, dataset: str, samples: list[dict[str, Any]], config_json: str) -> dict[str, Any]:
    """Worker entry point (process pool or Ray task): extract, write shards, commit the manifest rows."""
    import pyarrow as pa

    from unlock_feeling.store.parquet import FeatureStore

    ex = _extractors(config_json)
    cache = FeatureCache(FeatureStore(Path(store_root)))
    rows = []
    failed: Counter = Counter()
    for d in samples:
        s = Sample(**d)
        features, error = sample_features(s, ex, cache)
        if error:
            failed[error] += 1
        rows.append({**{c: getattr(s, c) for c in SAMPLE_COLUMNS},
                     **{f"{m}_key": features.keys.get(m, "") for m in MODALITIES}, "error": error})
        if cache.pending() >= 256:
            cache.flush()
    cache.flush()  # the features are written before the manifest rows that commit the chunk
    table = pa.Table.from_pylist(rows)
    table = table.replace_schema_metadata({"extractors": ExtractConfig.from_json(config_json).signature()})
    FeatureStore(Path(store_root)).put_table("samples", dataset, table)
    return {"done": len(rows), "failed": dict(failed)}


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
