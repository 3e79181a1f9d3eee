"""Bootstrap over items, the one resampling every text benchmark uses: standard errors of a score,
and of the difference between two models scored on the same resamples (paired)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def resamples(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """(count, n) indices into n items, drawn with replacement."""
    return rng.integers(0, n, (count, n))


def scores(metric: Callable[[np.ndarray], float], samples: np.ndarray) -> np.ndarray:
    """`metric` (of an index array) on each resample; its std is the score's standard error, and
    the std of the difference of two such arrays the paired standard error of a difference."""
    return np.array([metric(s) for s in samples], np.float64)
