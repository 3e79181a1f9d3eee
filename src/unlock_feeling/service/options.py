"""The upload form's option fields (their API names) → AnalyzeOptions, for the route that
validates them and for the worker that runs the job (jobs store the fields as sent)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from unlock_feeling.service.errors import ApiError

if TYPE_CHECKING:
    from unlock_feeling.pipeline import AnalyzeOptions

FORM_FIELDS = {"language": "auto", "fps": "5", "window": "2"}
"""The option fields of an upload and their defaults."""


def form_values(fields: dict[str, str]) -> dict[str, Any]:
    """The option fields, typed and checked (422 naming the field at fault)."""
    values = {**FORM_FIELDS, **{k: v for k, v in fields.items() if k in FORM_FIELDS}}
    out: dict[str, Any] = {"language": values["language"]}
    for name in ("fps", "window"):
        try:
            out[name] = float(values[name])
        except ValueError:
            raise ApiError(422, f"{name} must be a number, not {values[name][:40]!r}", name) from None
    analyze_options(out)  # every range check (NaN and infinity included), with the field's name
    return out


def analyze_options(values: dict[str, Any]) -> "AnalyzeOptions":
    from unlock_feeling.errors import UserInputError
    from unlock_feeling.pipeline import AnalyzeOptions

    defaults = AnalyzeOptions()
    try:
        return AnalyzeOptions(language=values.get("language", "auto"), window=float(values.get("window", 2.0)),
                              face=replace(defaults.face, fps=float(values.get("fps", defaults.face.fps))))
    except UserInputError as e:
        raise ApiError(422, str(e), e.parameter) from None
