"""Options shared by the CLI, the service and the pipeline — the choices (as `Literal` types, which
the CLI shows as its choices too) — and generic conversion of config dataclasses to and from
plain dicts (JSON), so that no config needs hand-written serialisation."""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, Literal, TypeVar

Language = Literal["auto", "ko", "en"]
"""Spoken/written language; `auto` chooses Korean or English per utterance."""
ExpressionModel = Literal["ensemble", "faceapi", "fer"]
"""Facial expression model: face-api.js, FER mini-Xception, or both averaged."""
Engine = Literal["local", "ray"]
"""Where dataset extraction runs: a local process pool or a Ray cluster."""

C = TypeVar("C")


def to_dict(config: Any) -> dict[str, Any]:
    """A config dataclass (nested ones included) as JSON-friendly values (tuples become lists)."""
    def plain(value: Any) -> Any:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    result = plain(config)
    assert isinstance(result, dict)
    return result


def from_dict(cls: type[C], data: dict[str, Any]) -> C:
    """The inverse of `to_dict`: nested dataclasses and tuples are rebuilt from their type hints;
    unknown keys are refused (a typo must not be silently ignored)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls} is not a dataclass")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"unknown {cls.__name__} settings: {', '.join(sorted(unknown))}")
    values = {}
    for name, value in data.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint) and isinstance(value, dict):
            value = from_dict(hint, value)  # type: ignore[arg-type]
        elif typing.get_origin(hint) is tuple and isinstance(value, list):
            value = tuple(value)
        values[name] = value
    return cls(**values)
