"""Feature keys: (content sha256, span, extractor name + version + config hash)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def sha256_path(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


RUN_TIME_ONLY = ("threads",)
"""Settings that change how fast something is computed, never what: left out of cache keys."""


def _without(value: Any, ignore: tuple[str, ...]) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {k: _without(v, ignore) for k, v in sorted(value.items()) if k not in ignore}
    if isinstance(value, (list, tuple)):
        return [_without(v, ignore) for v in value]
    return value


def config_hash(config: Any, ignore: tuple[str, ...] = RUN_TIME_ONLY) -> str:
    """Hash of the settings that change the output: `ignore`d keys are dropped at any depth."""
    payload = json.dumps(_without(config, ignore), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=64)
def source_hash(modules: tuple[str, ...]) -> str:
    """Short sha256 of the source code of `modules`: features computed by other code get other keys."""
    import importlib.util

    h = hashlib.sha256()
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            raise ValueError(f"no source for module {name}")
        h.update(Path(spec.origin).read_bytes())
    return h.hexdigest()[:12]


@dataclass(frozen=True)
class FeatureKey:
    content: str
    """sha256 of the media file (or of the UTF-8 text for text features)."""
    start: float
    end: float
    """Span in seconds; (0, 0) means the whole item."""
    extractor: str
    version: str
    config: str

    @property
    def id(self) -> str:
        raw = f"{self.content}|{self.start:.3f}|{self.end:.3f}|{self.extractor}|{self.version}|{self.config}"
        return hashlib.sha256(raw.encode()).hexdigest()
