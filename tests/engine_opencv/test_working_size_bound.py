"""scripts/working_size_bound.py: the true mask through the working-size round trip of a click."""

from __future__ import annotations

import numpy as np

from tests.script_loader import load_script
from video_seg_backend.engine.opencv import OpenCVConfig


def test_a_mask_at_full_size_comes_back_whole_and_a_thin_line_is_lost_at_a_quarter() -> None:
    round_trip = load_script("working_size_bound").round_trip
    truth = np.zeros((480, 854), bool)
    truth[100:300, 200:500] = True  # a block
    truth[300:420, 349] = True  # a line 1 px wide hanging from it
    # The region of interest (the box, a margin of 0.15 x 854 px, cut by the frame) is 558 x 480 px:
    # at 600 nothing is scaled.
    assert (round_trip(truth, 600, OpenCVConfig(point_region_fraction=0.15)) == truth).all()
    small = round_trip(truth, 140, OpenCVConfig(point_region_fraction=0.15))
    assert not small[330:420, 349].any()  # the line is gone at a quarter of the size
    assert small[100:300, 200:500].mean() > 0.97  # the block stays, up to its corners
