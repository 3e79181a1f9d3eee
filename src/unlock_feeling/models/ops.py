"""The few numeric operations the numpy models share (e5, the fusion model), without scipy."""

from __future__ import annotations

import numpy as np

_P = 0.3275911
_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function (Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 precision
    near 1), in the input's float dtype. Avoids importing scipy (a fifth of a second)."""
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    a = np.abs(x).astype(dtype, copy=False)
    t = 1.0 / (1.0 + dtype.type(_P) * a)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    return (np.sign(x) * (1.0 - poly * np.exp(-a * a))).astype(dtype, copy=False)


def gelu(x: np.ndarray) -> np.ndarray:
    """GELU with the exact (erf) form, as torch.nn.GELU() by default."""
    return 0.5 * x * (1.0 + erf(x * x.dtype.type(0.7071067811865476)))
