"""A box on a video frame keeps the object's thin moving parts that GrabCut cuts off (motion.py
``_thin_parts``): a BMX's tyre, not the still scenery around it; a photo has no motion to go by."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.engine_opencv import davis
from tests.engine_opencv.davis import BMX
from video_seg_backend.engine.base import BoxPrompt, ListFrames
from video_seg_backend.engine.opencv import OpenCVConfig, OpenCVEngine
from video_seg_backend.evaluation.metrics import jaccard

pytestmark = pytest.mark.skipif(not BMX.is_dir(), reason=f"DAVIS sequence not found at {BMX}")


def _box_mask(frames: list[np.ndarray], config: OpenCVConfig) -> np.ndarray:
    _, box = davis.truth_box(BMX)
    engine = OpenCVEngine(config)
    session = engine.session("bmx", ListFrames(frames), lambda: [])
    return engine.segment(session, 0, 1, [BoxPrompt(*box)]).mask


def _thin(mask: np.ndarray, width: int) -> np.ndarray:
    """The parts of ``mask`` narrower than a disc ``width`` pixels wide."""
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
    return mask & ~(cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, disc) > 0)


def test_a_box_around_a_bmx_rider_keeps_the_wheels() -> None:
    truth, _ = davis.truth_box(BMX)
    frames = davis.frames(BMX, 3)
    without = _box_mask(frames, OpenCVConfig(box_thin_contrast=0))
    with_thin = _box_mask(frames, OpenCVConfig())
    thin = _thin(truth, 11)  # tyres, spokes, frame tubes: 31% of the rider and bike
    assert thin.sum() > 0.2 * truth.sum()
    # GrabCut alone keeps half of them; the thin moving details bring back most of the rest.
    assert (without & thin).sum() < 0.6 * thin.sum()
    assert (with_thin & thin).sum() > 0.8 * thin.sum()
    assert jaccard(without, truth) < 0.64
    assert jaccard(with_thin, truth) > 0.67
    # What joins is mostly the bike, not the sand around it.
    added = with_thin & ~without
    assert (added & truth).sum() > 0.65 * added.sum()
    # Nothing the colour mask had is lost.
    assert not (without & ~with_thin).any()


def test_a_photo_has_no_thin_moving_parts() -> None:
    frame = davis.frames(BMX, 1)
    assert np.array_equal(_box_mask(frame, OpenCVConfig()), _box_mask(frame, OpenCVConfig(box_thin_contrast=0)))
