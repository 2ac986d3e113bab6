"""sam2.1's hole filling runs without its CUDA extension: OpenCV gives it the connected components."""

from __future__ import annotations

import warnings

import pytest
import torch

from video_seg_backend.engine.base import PointPrompt
from video_seg_backend.engine.sam2_engine import connected_components, patch_sam2_connected_components

pytestmark = pytest.mark.sam2


def test_components_are_eight_connected_with_their_areas():
    mask = torch.zeros((2, 1, 8, 8), dtype=torch.bool)
    mask[0, 0, 1, 1] = mask[0, 0, 2, 2] = True  # diagonal neighbours: one component
    mask[0, 0, 5:7, 5:8] = True
    mask[1, 0] = True
    labels, areas = connected_components(mask)
    assert labels.shape == areas.shape == mask.shape
    assert areas[0, 0, 1, 1] == areas[0, 0, 2, 2] == 2 and labels[0, 0, 1, 1] == labels[0, 0, 2, 2] > 0
    assert areas[0, 0, 5, 5] == 6 and labels[0, 0, 5, 5] != labels[0, 0, 1, 1]
    assert areas[0, 0, 0, 0] == labels[0, 0, 0, 0] == 0  # off the mask
    assert (areas[1] == 64).all()


def test_holes_up_to_the_area_are_filled_as_sam2_does_with_its_extension(tiny_engine):
    from sam2.utils.misc import fill_holes_in_mask_scores

    patch_sam2_connected_components()
    scores = torch.full((1, 1, 20, 20), 4.0)
    scores[0, 0, 2:4, 2:4] = -3.0  # a hole of 4 pixels
    scores[0, 0, 10:14, 10:14] = -3.0  # a hole of 16
    scores[0, 0, :, 18:] = -3.0  # background along the edge, 40 pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sam2 warns when it has to skip the step
        filled = fill_holes_in_mask_scores(scores, tiny_engine.predictor.fill_hole_area)
    assert tiny_engine.predictor.fill_hole_area == 8  # sam2.1's post-processing is on
    assert (filled[0, 0, 2:4, 2:4] > 0).all()
    assert (filled[0, 0, 10:14, 10:14] < 0).all() and (filled[0, 0, :, 18:] < 0).all()


def test_clicks_and_tracking_run_the_post_processing_without_warnings(tiny_engine, video):
    session = tiny_engine.session("holes", video, lambda: [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = tiny_engine.segment(session, 0, 1, [PointPrompt(40, 60)])
        tracked = list(tiny_engine.propagate(session, [1], 0, "forward", max_frames=2))
    assert first.mask.shape == (video.height, video.width) and len(tracked) == 3
    tiny_engine.forget("holes")
