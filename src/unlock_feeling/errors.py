"""Errors the user can act on. The CLI prints their message on one line and exits with code 2."""

from __future__ import annotations

from typing import Optional


class UserInputError(Exception):
    """Bad input or output path, unreadable media, nothing to analyse, ...

    `parameter` names the option at fault (its Python/API name, e.g. `window`), if one is."""

    def __init__(self, message: str, parameter: Optional[str] = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class ModelError(Exception):
    """A bundled model is missing or does not match its recorded checksum."""
