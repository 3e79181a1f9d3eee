"""Training data: the dataset manifests joined with stored features, as disk-backed matrices.

The join streams the store shard by shard and scatters vectors into memory-mapped arrays under
`<store>/cache/`, so memory stays bounded whatever the number of samples; training then reads
mini-batches from those arrays.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from unlock_feeling.errors import UserInputError
from unlock_feeling.extract.registry import extractor_for
from unlock_feeling.labels import LABELS, MODALITIES



def default_dims() -> dict[str, int]:
    """Vector sizes of the registered extractors with default settings (a store's own vectors
    decide the actual sizes)."""
    return {m: extractor_for(m)().dim for m in MODALITIES}


@dataclass
class FeatureMatrix:
    """N samples: per-modality features (memory-mapped), presence masks, labels, splits."""

    features: dict[str, np.ndarray]
    present: dict[str, np.ndarray]
    labels: np.ndarray
    splits: np.ndarray
    speakers: np.ndarray
    ids: np.ndarray
    extractors: str
    dims: dict[str, int]

    def __len__(self) -> int:
        return len(self.labels)

    def index(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.splits == split)


def read_manifest(store_root: Path, datasets: list[str] | None = None):  # type: ignore[no-untyped-def]
    """All committed manifest rows (pandas), last write wins per sample id; failed samples dropped."""
    import pandas as pd
    import pyarrow.parquet as pq

    from unlock_feeling.store.parquet import FeatureStore

    store = FeatureStore(store_root)
    frames, signatures = [], set()
    for shard in store.tables("samples"):
        if datasets and shard.parent.name not in datasets:
            continue
        t = pq.read_table(shard)
        signatures.add((t.schema.metadata or {}).get(b"extractors", b"").decode())
        frames.append(t.to_pandas())
    if not frames:
        raise UserInputError(f"{store_root}: no extracted samples (run `unlock-feeling extract` first)")
    if len(signatures) > 1:
        raise UserInputError(f"{store_root}: samples were extracted with different extractor settings; "
                             "extract them again with one setting")
    df = pd.concat(frames, ignore_index=True).drop_duplicates("id", keep="last")
    return df[df["error"] == ""].reset_index(drop=True), signatures.pop()


def build_matrix(store_root: Path, datasets: list[str] | None = None) -> FeatureMatrix:
    from unlock_feeling.store.parquet import FeatureStore

    df, signature = read_manifest(store_root, datasets)
    n = len(df)
    digest = hashlib.sha256((signature + "|" + "|".join(sorted(df["id"]))).encode()).hexdigest()[:16]
    cache = Path(store_root) / "cache" / f"matrix-{digest}"
    cache.mkdir(parents=True, exist_ok=True)
    store = FeatureStore(store_root)
    features: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    dims = {m: _stored_dim(store, m) for m in MODALITIES}
    for m in MODALITIES:
        path = cache / f"{m}.f32"
        done = cache / f"{m}.done"
        arr = np.lib.format.open_memmap(path, mode="r+" if done.exists() else "w+", dtype=np.float32,
                                        shape=(n, dims[m]))
        mask_path = cache / f"{m}.mask.npy"
        if done.exists():
            mask = np.load(mask_path)
        else:
            rows: dict[str, list[int]] = {}
            for i, key in enumerate(df[f"{m}_key"]):
                if key:
                    rows.setdefault(key, []).append(i)
            mask = np.zeros(n, bool)
            for keys, vectors in store.iter_vectors(extractor_for(m).name):
                for key, vec in zip(keys, vectors):
                    targets = rows.get(key)
                    if targets and vec.size == dims[m]:
                        arr[targets] = vec
                        mask[targets] = True
            arr.flush()
            np.save(mask_path, mask)
            done.write_text("ok")
        features[m], present[m] = arr, mask
    labels = np.array([LABELS.index(x) for x in df["label"]], np.int64)
    return FeatureMatrix(features, present, labels, df["split"].to_numpy(str), df["speaker"].to_numpy(str),
                         df["id"].to_numpy(str), signature, dims)


def _stored_dim(store, modality: str) -> int:  # type: ignore[no-untyped-def]
    """Vector size of a modality's stored features (the registered default when none is stored)."""
    for _, vectors in store.iter_vectors(extractor_for(modality).name):
        if vectors.size:
            return int(vectors.shape[1])
    return default_dims()[modality]


def synthetic_matrix(n: int, seed: int = 0, folder: Path | None = None) -> FeatureMatrix:
    """Random class-dependent features (for the training benchmark only)."""
    rng = np.random.default_rng(seed)
    dims = default_dims()
    labels = rng.integers(0, len(LABELS), n)
    features: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    for m in MODALITIES:
        centres = rng.normal(size=(len(LABELS), dims[m])).astype(np.float32)
        arr: np.ndarray
        if folder is not None:
            arr = np.lib.format.open_memmap(folder / f"{m}.npy", mode="w+", dtype=np.float32, shape=(n, dims[m]))
        else:
            arr = np.empty((n, dims[m]), np.float32)
        for i in range(0, n, 65536):
            j = min(n, i + 65536)
            arr[i:j] = centres[labels[i:j]] + rng.normal(scale=3.0, size=(j - i, dims[m])).astype(np.float32)
        features[m], present[m] = arr, rng.random(n) > 0.1
    splits = np.where(rng.random(n) < 0.9, "train", "val")
    return FeatureMatrix(features, present, labels, splits, np.array([""] * n), np.arange(n).astype(str),
                         json.dumps({"synthetic": True}), dims)
