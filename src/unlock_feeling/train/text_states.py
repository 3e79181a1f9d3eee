"""Frozen lower-layer outputs of the text encoder, computed once and kept in the feature store.

Keyed by the text's sha256 and (n_frozen, max_tokens, encoder file sha256), so a changed encoder or
split point recomputes, and an unchanged one is read back instead of recomputed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from unlock_feeling.extract.e5 import E5Encoder
from unlock_feeling.store.keys import FeatureKey, config_hash, sha256_bytes
from unlock_feeling.store.parquet import FeatureStore

EXTRACTOR = "text-e5-lower"
VERSION = "1"


@dataclass(frozen=True)
class LowerStatesConfig:
    n_frozen: int
    max_tokens: int
    encoder_sha256: str


def state_key(text: str, config: LowerStatesConfig) -> FeatureKey:
    return FeatureKey(sha256_bytes(text.encode("utf-8")), 0.0, 0.0, EXTRACTOR, VERSION, config_hash(config))


def lower_states(texts: Sequence[str], encoder: E5Encoder, config: LowerStatesConfig, store: FeatureStore,
                 chunk: int = 2048, batch_size: int = 32,
                 progress: Callable[[int, int], None] | None = None) -> list[np.ndarray]:
    """(tokens, hidden) float32 states after `n_frozen` layers for each text, from the store or computed."""
    hidden = encoder.header.hidden
    keys = [state_key(t, config) for t in texts]
    out: list[np.ndarray | None] = [None] * len(texts)
    stored = [store.has(k) for k in keys]
    todo = [i for i, has in enumerate(stored) if not has]
    done = [i for i, has in enumerate(stored) if has]
    for s in range(0, len(done), 20000):
        part = done[s:s + 20000]
        found = store.get_many(keys[i] for i in part)
        for i in part:
            out[i] = found[keys[i].id].vector.reshape(-1, hidden)
    todo.sort(key=lambda i: len(texts[i]))
    for s in range(0, len(todo), chunk):
        part = todo[s:s + chunk]
        rows: list[tuple[FeatureKey, np.ndarray, dict[str, Any]]] = []
        for b in range(0, len(part), batch_size):
            sel = part[b:b + batch_size]
            ids = [encoder.token_ids(texts[i]) for i in sel]
            x, mask = encoder.hidden(ids, stop=config.n_frozen)
            for j, i in enumerate(sel):
                state = x[j, : len(ids[j])].copy()
                out[i] = state
                rows.append((keys[i], state.reshape(-1), {}))
        store.put(EXTRACTOR, rows)
        if progress:
            progress(min(s + chunk, len(todo)), len(todo))
    missing = sum(o is None for o in out)
    if missing:
        raise RuntimeError(f"{missing} text states missing from the store")
    return [o for o in out if o is not None]
