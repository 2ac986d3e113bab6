"""A tracked mask's confidence: sam2's predicted IoU (dropped by its video predictor, kept by a tap)
times the object's presence probability (the score)."""

from __future__ import annotations

import pytest

from video_seg_backend.engine.base import PointPrompt

pytestmark = pytest.mark.sam2


def test_tracked_masks_carry_predicted_iou_times_presence(tiny_engine, video):
    session = tiny_engine.session("confidence", video, lambda: [])
    tiny_engine.segment(session, 2, 1, [PointPrompt(50, 60)])
    frames = list(tiny_engine.propagate(session, [1], 2, "forward", max_frames=3))
    key = frames[0][1][0]
    assert key.confidence == pytest.approx(key.score)  # a key frame: what the person fixed, IoU 1
    for _, (mask,) in frames[1:]:
        assert mask.confidence is not None and 0.0 <= mask.confidence <= 1.0
        # The predicted IoU of a decoded mask is below 1: the confidence is less than presence alone.
        assert mask.confidence < mask.score
