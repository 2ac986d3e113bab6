"""Which cues make a mask's confidence, by the engine that tracked it (review/combination.py)."""

from __future__ import annotations

from tests.conftest import synthetic_video
from video_seg_backend.review import combination
from video_seg_backend.review.combination import DEFAULT_WEIGHTS, Weights, combine, weights_for
from video_seg_backend.review.cues import FrameCues

from .test_review_api import N, tracked

# The engine is sure, but the mask is a third of last frame's, far from the key frame's size.
JUMPED = FrameCues(engine=0.8, area_ratio=0.3, shape_iou=0.5, key_area_ratio=0.4, key_distance=50, empty=False)


def test_the_opencv_engine_s_confidence_stands_alone():
    # Its own confidence already weighs the mask's size against the object's motion.
    assert combine(JUMPED, weights_for("opencv")) == 0.8
    empty = FrameCues(engine=None, area_ratio=0.0, shape_iou=0.0, key_area_ratio=0.0, key_distance=3, empty=True)
    assert combine(empty, weights_for("opencv")) == DEFAULT_WEIGHTS.empty


def test_sam2_and_edgetam_masks_also_answer_to_the_track():
    for key in ("sam2.1_hiera_tiny", "edgetam"):
        assert weights_for(key) == DEFAULT_WEIGHTS
        assert combine(JUMPED, weights_for(key)) < 0.8 * 0.3


def test_a_tracking_job_combines_with_its_engine_s_weights(client, tmp_path, monkeypatch):
    # Give the OpenCV engine weights that leave every cue out: each tracked mask is then sure.
    nothing = Weights(engine=0.0, area=0.0, shape=0.0, key_area=0.0, half_life=0.0)
    monkeypatch.setitem(combination._ENGINE_WEIGHTS, "opencv", nothing)
    _, base, _, _ = tracked(client, tmp_path, synthetic_video(tmp_path / "v.mp4", frames=N))
    rows = [a for a in client.get(f"{base}/annotations").json() if a["source"] == "propagated"]
    assert len(rows) == N - 1
    assert all(a["confidence"] == 1.0 for a in rows)
