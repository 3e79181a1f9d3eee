"""FeatureStore: feature vectors in immutable Parquet shards, one folder per extractor.

Layout::

    <root>/features/<extractor>/<shard>.parquet   columns: key, content, start, end, version,
                                                  config, size, vector (list<float32>), meta (JSON)
    <root>/samples/<dataset>/<shard>.parquet      dataset manifests written by `extract`
    <root>/reports/...                            extraction reports

Every shard is written to a temporary name and renamed into place, so a reader (or a run killed
with SIGKILL) only ever sees complete shards; leftover temporary files are ignored and cleaned.
Two processes can share a store: each writes its own uniquely named shards. The directory listing
is the manifest; a key present in several shards (computed twice concurrently) is the same value.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from unlock_feeling.store.keys import FeatureKey

TMP_PREFIX = ".tmp-"


@dataclass(frozen=True)
class StoredFeature:
    vector: np.ndarray
    meta: dict[str, Any]


def _atomic_write_table(table: Any, path: Path) -> None:
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{TMP_PREFIX}{uuid.uuid4().hex}.parquet")
    try:
        pq.write_table(table, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


@dataclass
class FeatureStore:
    root: Path
    _index: dict[str, dict[str, tuple[Path, int, int]]] = field(default_factory=dict, repr=False)
    """extractor → key id → (shard, row, vector size); built from the small key and size columns."""

    def __post_init__(self) -> None:
        self.root = Path(self.root)

    # -- writing -------------------------------------------------------------------------------
    def put(self, extractor: str, items: Iterable[tuple[FeatureKey, np.ndarray, Mapping[str, Any]]]) -> Path | None:
        """Write one shard with the given (key, vector, meta) triples; returns its path."""
        import pyarrow as pa

        rows = list(items)
        if not rows:
            return None
        table = pa.table({
            "key": [k.id for k, _, _ in rows],
            "content": [k.content for k, _, _ in rows],
            "start": pa.array([k.start for k, _, _ in rows], pa.float64()),
            "end": pa.array([k.end for k, _, _ in rows], pa.float64()),
            "version": [k.version for k, _, _ in rows],
            "config": [k.config for k, _, _ in rows],
            "size": pa.array([int(np.size(v)) for _, v, _ in rows], pa.int32()),
            "vector": pa.array([np.asarray(v, np.float32) for _, v, _ in rows], pa.list_(pa.float32())),
            "meta": [json.dumps(dict(m), ensure_ascii=False, default=float) for _, _, m in rows],
        })
        path = self.root / "features" / extractor / f"{uuid.uuid4().hex}.parquet"
        _atomic_write_table(table, path)
        if extractor in self._index:  # keep the in-memory index current without rereading
            for row, (k, v, _) in enumerate(rows):
                self._index[extractor].setdefault(k.id, (path, row, int(np.size(v))))
        return path

    def put_table(self, kind: str, name: str, table: Any) -> Path:
        """Write a non-feature table (a dataset manifest, a report) as a new shard."""
        path = self.root / kind / name / f"{uuid.uuid4().hex}.parquet"
        _atomic_write_table(table, path)
        return path

    # -- reading -------------------------------------------------------------------------------
    def shards(self, extractor: str) -> list[Path]:
        folder = self.root / "features" / extractor
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith(TMP_PREFIX))

    def _keys(self, extractor: str) -> dict[str, tuple[Path, int, int]]:
        import pyarrow.parquet as pq

        if extractor not in self._index:
            index: dict[str, tuple[Path, int, int]] = {}
            for shard in self.shards(extractor):
                table = pq.read_table(shard, columns=["key", "size"])
                for row, (key, size) in enumerate(zip(table.column("key").to_pylist(),
                                                      table.column("size").to_pylist())):
                    index.setdefault(key, (shard, row, size))
            self._index[extractor] = index
        return self._index[extractor]

    def has(self, key: FeatureKey) -> bool:
        return key.id in self._keys(key.extractor)

    def stored_size(self, key: FeatureKey) -> int | None:
        """Length of the stored vector (0 = computed, nothing found), or None when not stored."""
        loc = self._keys(key.extractor).get(key.id)
        return None if loc is None else loc[2]

    def get_many(self, keys: Iterable[FeatureKey]) -> dict[str, StoredFeature]:
        """Stored features by key id (absent keys are left out)."""
        import pyarrow.parquet as pq

        wanted: dict[Path, dict[int, str]] = {}
        for k in keys:
            loc = self._keys(k.extractor).get(k.id)
            if loc is not None:
                wanted.setdefault(loc[0], {})[loc[1]] = k.id
        out: dict[str, StoredFeature] = {}
        for shard, rows in wanted.items():
            table = pq.read_table(shard, columns=["vector", "meta"])
            vectors, metas = table.column("vector"), table.column("meta")
            for row, key_id in rows.items():
                out[key_id] = StoredFeature(np.asarray(vectors[row].as_py(), np.float32), json.loads(metas[row].as_py()))
        return out

    def get(self, key: FeatureKey) -> StoredFeature | None:
        return self.get_many([key]).get(key.id)

    def iter_vectors(self, extractor: str) -> Iterator[tuple[list[str], np.ndarray]]:
        """Stream (keys, matrix) shard by shard: bounded memory for any store size."""
        import pyarrow.parquet as pq

        for shard in self.shards(extractor):
            table = pq.read_table(shard, columns=["key", "vector"])
            keys = table.column("key").to_pylist()
            flat = table.column("vector").combine_chunks()
            values = np.asarray(flat.values.to_numpy(zero_copy_only=False), np.float32)
            yield keys, values.reshape(len(keys), -1) if len(keys) else values.reshape(0, 0)

    def tables(self, kind: str, name: str | None = None) -> list[Path]:
        folder = self.root / kind
        pattern = f"{name}/*.parquet" if name else "*/*.parquet"
        return sorted(p for p in folder.glob(pattern) if not p.name.startswith(TMP_PREFIX)) if folder.is_dir() else []

    def clean_temporary(self) -> int:
        """Remove temporary files left by killed writers (call when no writer is running)."""
        n = 0
        for p in self.root.rglob(f"{TMP_PREFIX}*"):
            p.unlink(missing_ok=True)
            n += 1
        return n
