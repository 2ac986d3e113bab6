"""A negative click on a small hole that the mask filled (the ground seen through a mug's handle,
between an arm and the body) opens the hole: hole filling never undoes what a person said."""

from __future__ import annotations

import cv2
import numpy as np

from video_seg_backend.engine.base import PointPrompt
from video_seg_backend.engine.opencv.clicks import segment_prompts
from video_seg_backend.engine.opencv.config import OpenCVConfig


def square_with_a_hole() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A blue square on a textured grey-green ground with the ground showing through a small hole
    in it; the square's mask (hole left out) and the hole's."""
    height, width = 240, 320
    rng = np.random.default_rng(3)
    texture = cv2.resize(rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8), (width, height))
    ground = (0.3 * texture + np.array([90, 110, 80])).clip(0, 255).astype(np.uint8)
    rgb = ground.copy()
    square = np.zeros((height, width), bool)
    square[60:180, 100:220] = True
    hole = np.zeros((height, width), bool)
    hole[104:116, 174:186] = True
    rgb[square & ~hole] = (40, 60, 200)
    return rgb, square & ~hole, hole


def test_a_negative_click_on_a_filled_hole_opens_it() -> None:
    rgb, square, hole = square_with_a_hole()
    config = OpenCVConfig()
    first = segment_prompts(rgb, [PointPrompt(130, 150)], config)[-1]
    assert (first & square).sum() > 0.95 * square.sum()
    # The hole is 1.2% of the square: the first mask fills it, as it fills specular highlights.
    assert first[hole].mean() > 0.9
    mask = segment_prompts(rgb, [PointPrompt(130, 150), PointPrompt(180, 110, positive=False)], config)[-1]
    # The click's pixel and most of the hole are left out (before, hole filling put them back and
    # the click changed nothing) ...
    assert not mask[110, 180]
    assert mask[hole].mean() < 0.3
    # ... and the square stays.
    assert (mask & square).sum() > 0.95 * square.sum()
