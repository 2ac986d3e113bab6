"""Colour histograms compared: one measure for the tracker's colour fit, re-detection's check of a
found region, and a box's motion cut."""

from __future__ import annotations

import numpy as np


def similarity(p: np.ndarray, q: np.ndarray) -> float:
    """Bhattacharyya coefficient of two normalised histograms (1 = the same colours)."""
    return float(np.sqrt(p * q).sum())
