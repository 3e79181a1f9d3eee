"""Small image operations on RGB uint8 arrays, with Pillow (already needed to read images) instead
of OpenCV, whose import alone costs more than analysing a short clip's frames."""

from __future__ import annotations

import numpy as np


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to (width, height): the mean over each output pixel's area when shrinking (as
    OpenCV's INTER_AREA), bilinear when enlarging."""
    from PIL import Image

    h, w = image.shape[:2]
    if (w, h) == tuple(size):
        return image
    shrink = size[0] <= w and size[1] <= h
    method = Image.Resampling.BOX if shrink else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize(size, method))


def gray(image: np.ndarray) -> np.ndarray:
    """RGB → luma (ITU-R 601: 0.299 R + 0.587 G + 0.114 B), uint8."""
    from PIL import Image

    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).convert("L"))
