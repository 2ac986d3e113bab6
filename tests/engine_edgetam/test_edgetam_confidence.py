"""A tracked mask's confidence with EdgeTAM: the decoder's predicted IoU times the object's presence."""

from __future__ import annotations

import pytest

from video_seg_backend.engine.base import PointPrompt


def test_tracked_masks_carry_predicted_iou_times_presence(edgetam, video):
    session = edgetam.session("confidence", video, lambda: [])
    edgetam.segment(session, 2, 1, [PointPrompt(50, 60)])
    frames = list(edgetam.propagate(session, [1], 2, "forward", max_frames=3))
    key = frames[0][1][0]
    assert key.confidence == pytest.approx(key.score)
    for _, (mask,) in frames[1:]:
        assert mask.confidence is not None and 0.0 <= mask.confidence <= 1.0
        assert mask.confidence < mask.score
