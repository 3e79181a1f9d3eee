"""media/image.py: area-mean shrinking, bilinear enlarging, ITU-R 601 luma."""

import numpy as np

from unlock_feeling.media.image import gray, resize


def test_shrinking_averages_each_area():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    small = resize(image, (4, 3))  # 2×2 blocks
    blocks = image.reshape(3, 2, 4, 2, 3).astype(float).mean(axis=(1, 3))
    assert small.shape == (3, 4, 3)
    assert np.abs(small.astype(float) - blocks).max() <= 1.0  # Pillow rounds in fixed point


def test_enlarging_interpolates_and_same_size_is_unchanged():
    ramp = np.repeat(np.linspace(0, 250, 6).astype(np.uint8)[None, :, None], 4, axis=0).repeat(3, axis=2)
    big = resize(ramp, (12, 8))
    row = big[0, :, 0].astype(int)
    assert big.shape == (8, 12, 3) and np.all(np.diff(row) >= 0) and len(set(row.tolist())) > 6  # smooth, not blocky
    assert resize(ramp, (6, 4)) is ramp


def test_gray_uses_601_luma():
    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [200, 100, 50]]], np.uint8)
    expected = np.array([[255 * 0.299, 255 * 0.587, 255 * 0.114, 200 * 0.299 + 100 * 0.587 + 50 * 0.114]])
    assert np.abs(gray(pixels).astype(float) - expected).max() <= 1.0
