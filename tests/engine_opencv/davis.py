"""Shared DAVIS sequences for the OpenCV engine's motion tests (tests reach ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from video_seg_backend.evaluation.clicker import mask_box

# A roller-hockey player in a dark shirt skating past dark green fence panels.
HOCKEY = Path("/work/shared/data/vos/hockey")
# A BMX rider jumping: thin wheels, spokes and frame tubes.
BMX = Path("/work/shared/data/vos/bmx-bumps")
# A red car drifting through tyre smoke behind a red and white course sign that stands still.
DRIFT = Path("/work/shared/data/vos/drift-chicane")


def frames(sequence: Path, count: int) -> list[np.ndarray]:
    """The sequence's first ``count`` frames, RGB."""
    return [cv2.imread(str(sequence / f"JPEGImages/{i:05d}.jpg"))[:, :, ::-1].copy() for i in range(count)]


def truth(sequence: Path) -> np.ndarray:
    """The first frame's true mask (DAVIS 2016: any non-zero label is the object)."""
    return cv2.imread(str(sequence / "Annotations/00000.png"), cv2.IMREAD_GRAYSCALE) > 0


def truth_box(sequence: Path) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """The first frame's true mask and its bounding box (x0, y0, x1, y1), as a person would draw it."""
    mask = truth(sequence)
    box = mask_box(mask)
    assert box is not None, f"{sequence.name}'s first frame shows its object"
    return mask, box
