"""Colour histograms: the tracker's colour models (quantised colours, ``histogram``) and one
measure to compare two (``similarity``) for the tracker's colour fit, re-detection's check of a
found region, and a box's motion cut."""

from __future__ import annotations

import numpy as np

# Colours quantised to LEVELS levels a channel for the colour histograms: fewer bins are robust
# with the few hundred pixels of a small object, more separate close colours.
LEVEL_BITS = 5
LEVELS = 1 << LEVEL_BITS
BINS = LEVELS**3


def colour_index(bgr: np.ndarray) -> np.ndarray:
    """Each pixel's colour bin (int32, ``BINS`` of them) of an 8-bit BGR image."""
    q = (bgr >> (8 - LEVEL_BITS)).astype(np.int32)
    return (q[..., 0] << (2 * LEVEL_BITS)) | (q[..., 1] << LEVEL_BITS) | q[..., 2]


def histogram(colours: np.ndarray, where: np.ndarray, smoothing: bool = False) -> np.ndarray:
    """Normalised histogram of the colour bins ``colours`` (``colour_index``) where ``where``;
    with ``smoothing`` each count is spread to the neighbouring bins."""
    hist = np.bincount(colours[where], minlength=BINS).astype(np.float32)
    if smoothing:
        # Spread each count to the neighbouring bins: a colour seen once also explains close
        # shades, so a small object's sparse histogram still gives a usable posterior.
        cube = hist.reshape(LEVELS, LEVELS, LEVELS)
        for axis in range(3):
            cube = 0.5 * cube + 0.25 * (np.roll(cube, 1, axis) + np.roll(cube, -1, axis))
        hist = cube.reshape(-1)
    return hist / max(1.0, float(hist.sum()))


def similarity(p: np.ndarray, q: np.ndarray) -> float:
    """Bhattacharyya coefficient of two normalised histograms (1 = the same colours)."""
    return float(np.sqrt(p * q).sum())
