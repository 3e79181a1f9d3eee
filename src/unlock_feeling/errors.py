"""Errors the user can act on. The CLI prints their message on one line and exits with code 2."""

from __future__ import annotations


class UserInputError(Exception):
    """Bad input or output path, unreadable media, nothing to analyse, ..."""


class ModelError(Exception):
    """A bundled model is missing or does not match its recorded checksum."""
