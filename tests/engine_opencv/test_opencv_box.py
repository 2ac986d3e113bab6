"""A box drawn around an object gives a mask of that object, not nothing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from video_seg_backend.engine.base import BoxPrompt
from video_seg_backend.engine.opencv.clicks import segment_prompts
from video_seg_backend.engine.opencv.config import OpenCVConfig
from video_seg_backend.evaluation.metrics import jaccard

# A small white car in grey tyre smoke: GrabCut from a tight margin took the car's colours for the
# background and returned an empty mask (IoU 0.00).
DRIFT = Path("/work/shared/data/vos/drift-chicane")

pytestmark = pytest.mark.skipif(not DRIFT.is_dir(), reason=f"DAVIS sequence not found at {DRIFT}")


def test_a_box_around_a_car_in_smoke_gives_the_car() -> None:
    rgb = cv2.imread(str(DRIFT / "JPEGImages/00000.jpg"))[:, :, ::-1].copy()
    truth = cv2.imread(str(DRIFT / "Annotations/00000.png"), cv2.IMREAD_GRAYSCALE) > 0
    ys, xs = np.nonzero(truth)
    box = BoxPrompt(float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    mask = segment_prompts(rgb, [box], OpenCVConfig())[-1]
    assert jaccard(mask, truth) > 0.35
    # The mask stays in the box's neighbourhood.
    assert not mask[: int(box.y0) - 20].any() and not mask[int(box.y1) + 20 :].any()
