"""A correction click on a thin missed part far from the mask adds that part, not the ground around it."""

from __future__ import annotations

import cv2
import numpy as np

from video_seg_backend.engine.base import PointPrompt
from video_seg_backend.engine.opencv.clicks import segment_prompts
from video_seg_backend.engine.opencv.config import OpenCVConfig


def rope_and_person() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A blue body with a thin blue rope above it (a gap between), on a textured grey-green ground;
    the body's and the rope's masks."""
    height, width = 240, 320
    rng = np.random.default_rng(1)
    texture = cv2.resize(rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8), (width, height))
    rgb = (0.3 * texture + np.array([90, 110, 80])).clip(0, 255).astype(np.uint8)
    body = np.zeros((height, width), np.uint8)
    cv2.rectangle(body, (130, 150), (190, 230), 1, -1)
    rope = np.zeros((height, width), np.uint8)
    cv2.line(rope, (160, 135), (160, 10), 1, 4)
    rgb[(body > 0) | (rope > 0)] = (40, 60, 200)
    return rgb, body > 0, (rope > 0) & (body == 0)


def test_a_click_far_up_a_thin_rope_adds_the_rope_not_the_ground_around_it() -> None:
    rgb, body, rope = rope_and_person()
    config = OpenCVConfig()
    first = segment_prompts(rgb, [PointPrompt(160, 190)], config)[-1]
    assert (first & body).sum() > 0.9 * body.sum()
    # The simulated annotator's next click: far up the rope, ~120 px from the mask.
    prompts = [PointPrompt(160, 190), PointPrompt(160, 30)]
    mask = segment_prompts(rgb, prompts, config)[-1]
    ground = ~(body | rope)
    # The rope near the click is taken...
    assert mask[20:40, 158:163].mean() > 0.8
    # ...and little of the ground: the whole brush (half the distance to the mask, a disc of
    # ~60 px radius) painted as sure object used to bring in thousands of ground pixels.
    assert (mask & ground).sum() < 0.1 * body.sum()
    # The mask from before the click is kept.
    assert (mask & body).sum() > 0.9 * body.sum()
