"""The tracker's confidence doubts a mask whose size its motion does not explain.

DAVIS boat: the mask spreads over the boat's wake (2.4x the boat's area by the end, J 0.28) while
the flow, colours and colour band all agree, so the confidence stayed at 0.81, above a car that is
tracked well while it approaches (mask 10x larger, J 0.84, confidence 0.68). The car's growth is
what its motion's scale predicts; the boat's is not. (Since 2026-12-06 the band holds the boat's
mask at ~1.5x, J 0.39 at the end, test_opencv_size_guards.py; its confidence still falls.)
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from video_seg_backend.engine.base import ListFrames
from video_seg_backend.engine.opencv_engine import OpenCVEngine
from video_seg_backend.evaluation.metrics import jaccard

VOS = SHARED_DATA / "vos"


def tracked(name: str) -> list[tuple[float, float]]:
    """(confidence, true J) of each tracked frame, from the first frame's true mask."""
    images = sorted((VOS / name / "JPEGImages").glob("*.jpg"))
    frames = [cv2.imread(str(p))[:, :, ::-1].copy() for p in images]
    truth = [cv2.imread(str(VOS / name / "Annotations" / f"{p.stem}.png"), cv2.IMREAD_GRAYSCALE) > 0 for p in images]
    engine = OpenCVEngine()
    session = engine.session(name, ListFrames(frames), lambda: [])
    run = engine.propagate(session, [1], 0, "forward", start_masks={1: truth[0]})
    return [(o[0].confidence or 0.0, jaccard(o[0].mask, truth[i])) for i, o in run if i > 0]


@pytest.mark.skipif(not VOS.is_dir(), reason="needs ../shared/data/vos")
def test_a_mask_growing_over_the_background_is_doubted_before_an_approaching_object():
    boat, car = tracked("boat"), tracked("car-turn")
    # what the truth says: the boat's last frames are wrong, the car's right
    assert np.mean([j for _, j in boat[-10:]]) < 0.45 < 0.8 < np.mean([j for _, j in car[-10:]])
    boat_end = np.mean([c for c, _ in boat[-10:]])
    car_end = np.mean([c for c, _ in car[-10:]])
    assert boat_end < 0.5
    assert boat_end < car_end - 0.1
    # and the doubt grows with the leak: the boat's confidence falls along the track
    assert np.mean([c for c, _ in boat[:10]]) > boat_end + 0.2
