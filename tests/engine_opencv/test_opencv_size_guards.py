"""A mask much larger or smaller than its object's motion explains changes only where colours are sure.

Grown past it (growth_guard):

DAVIS boat: from the true mask the colour band let the mask creep over the wake and the hull's
reflection a pixel or two a frame (the water there is half the boat's colours), 2.1x what the
boat's motion explains by the end (J 0.28). Past 1.5x the band now adds a pixel outside the
carried mask only where its colours are surely the object's (band.refine, ``size`` past growth_guard), and the
pixels it refused still count against the mask's confidence (tracking.ObjectTrack.refused).

Shrunk under it (shrink_guard): DAVIS drift-chicane, a car drifting through its own smoke as it
turns towards the camera: the band cut the carried mask down to the parts whose colours still
looked like the key frame's (frame 48: 14,600 px of the car's 20,600). Under 1 / 1.5 of its
motion's size the band now takes from the carried mask only what is surely the background
(posterior under 0.35): 17,200 px there.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from video_seg_backend.engine.base import ListFrames
from video_seg_backend.engine.opencv import OpenCVConfig
from video_seg_backend.engine.opencv.band import _hold_growth, _keep_carried
from video_seg_backend.engine.opencv_engine import OpenCVEngine
from video_seg_backend.evaluation.metrics import jaccard

VOS = SHARED_DATA / "vos"


def test_growth_is_refused_outside_the_carried_mask_where_colours_are_unsure():
    warped = np.zeros((60, 160), np.float32)
    warped[20:40, 60:100] = 1.0
    grown = cv2.dilate(warped, np.ones((7, 7), np.uint8)) > 0.5  # the band added 3 px all round
    colour = np.full(warped.shape, 0.7, np.float32)  # the wake: half the object's colours
    colour[:, 110:] = 0.95  # a part of the object the flow missed
    refused = _hold_growth(grown, warped, colour, band=6, sure=0.8)
    assert not refused[warped > 0.5].any()  # what the flow carried is never refused
    assert refused[17:20, 60:100].all() and refused[40:43, 60:100].all() and refused[20:40, 57:60].all()
    assert not refused[:, 110:].any()  # sure colours still join
    assert (grown & ~refused).sum() < grown.sum()


def test_a_shrunken_mask_keeps_what_the_flow_carried_unless_surely_background():
    warped = np.zeros((60, 160), np.float32)
    warped[20:40, 60:100] = 1.0
    colour = np.full(warped.shape, 0.5, np.float32)  # the object in smoke: colours unsure
    colour[:, 90:] = 0.05  # surely the background (uncovered ground)
    kept = _keep_carried(warped, colour, band=6, unsure=0.35)
    assert kept[20:40, 60:85].all()
    assert not kept[:, 92:].any()
    assert not kept[warped < 0.5].any()  # nothing the flow did not carry


def _track(name: str, config: OpenCVConfig) -> list[tuple[float, float, int]]:
    """(confidence, true J, mask area) of each tracked frame, from the first frame's true mask."""
    images = sorted((VOS / name / "JPEGImages").glob("*.jpg"))
    frames = [cv2.imread(str(p))[:, :, ::-1].copy() for p in images]
    truth = [cv2.imread(str(VOS / name / "Annotations" / f"{p.stem}.png"), cv2.IMREAD_GRAYSCALE) > 0 for p in images]
    engine = OpenCVEngine(config)
    session = engine.session(name, ListFrames(frames), lambda: [])
    run = engine.propagate(session, [1], 0, "forward", start_masks={1: truth[0]})
    return [(o[0].confidence or 0.0, jaccard(o[0].mask, truth[i]), int(o[0].mask.sum())) for i, o in run if i > 0]


@pytest.mark.skipif(not VOS.is_dir(), reason="needs ../shared/data/vos")
def test_the_boats_mask_is_held_off_its_wake_and_still_doubted():
    held, free = _track("boat", OpenCVConfig()), _track("boat", OpenCVConfig(growth_guard=0))
    last = slice(-10, None)
    held_j, free_j = np.mean([j for _, j, _ in held[last]]), np.mean([j for _, j, _ in free[last]])
    assert held_j > free_j + 0.1, (held_j, free_j)
    assert np.mean([a for *_, a in held[last]]) < 0.8 * np.mean([a for *_, a in free[last]])
    # Held back, the mask is still larger than the boat: its confidence says so as it did unheld.
    held_c, free_c = np.mean([c for c, *_ in held[last]]), np.mean([c for c, *_ in free[last]])
    assert held_c < 0.5 and held_c <= free_c + 0.05, (held_c, free_c)
    assert np.mean([c for c, *_ in held[:10]]) > held_c + 0.2


@pytest.mark.skipif(not VOS.is_dir(), reason="needs ../shared/data/vos")
def test_a_car_in_its_own_smoke_keeps_its_mask():
    kept, cut = _track("drift-chicane", OpenCVConfig()), _track("drift-chicane", OpenCVConfig(shrink_guard=0))
    kept_j, cut_j = np.mean([j for _, j, _ in kept]), np.mean([j for _, j, _ in cut])
    assert kept_j > cut_j + 0.01, (kept_j, cut_j)
