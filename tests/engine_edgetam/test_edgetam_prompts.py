"""Clicks on the EdgeTAM engine: points, boxes, negative points, clearing, and the feature cache."""

from __future__ import annotations

import numpy as np
import pytest

from video_seg_backend.engine.base import BoxPrompt, PointPrompt


def _count_encoder_calls(engine, monkeypatch) -> list[int]:
    calls: list[int] = []
    original = engine.model.get_image_features

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(engine.model, "get_image_features", counting)
    return calls


def test_point_box_and_negative_point_give_frame_sized_bool_masks(edgetam, video):
    session = edgetam.session("prompts", video, lambda: [])
    cases = [
        [PointPrompt(40, 60)],
        [BoxPrompt(20, 40, 60, 80)],
        [BoxPrompt(20, 40, 60, 80), PointPrompt(40, 60), PointPrompt(5, 5, positive=False)],
    ]
    masks = []
    for object_id, prompts in enumerate(cases, start=1):
        result = edgetam.segment(session, 2, object_id, prompts)
        assert result.object_id == object_id
        assert result.mask.shape == (video.height, video.width)
        assert result.mask.dtype == np.bool_
        assert result.score is not None and 0.0 <= result.score <= 1.0
        masks.append(result.mask)
    # Each prompt list reaches the model: a box decodes to another mask than a point.
    assert not np.array_equal(masks[0], masks[1])


def test_empty_prompt_list_clears_the_key_frame(edgetam, video):
    session = edgetam.session("clear", video, lambda: [])
    edgetam.segment(session, 0, 1, [PointPrompt(40, 60)])
    cleared = edgetam.segment(session, 0, 1, [])
    assert cleared.mask.shape == (video.height, video.width) and not cleared.mask.any()
    with pytest.raises(ValueError, match="no key frame"):
        edgetam.propagate(session, [1], 0, "forward")


def test_a_second_box_is_refused_with_a_sentence(edgetam, video):
    session = edgetam.session("two-boxes", video, lambda: [])
    with pytest.raises(ValueError, match="one box"):
        edgetam.segment(session, 0, 1, [BoxPrompt(0, 0, 10, 10), BoxPrompt(5, 5, 20, 20)])


def test_a_frame_is_encoded_once_for_every_further_click(edgetam, video, monkeypatch):
    session = edgetam.session("features", video, lambda: [])
    calls = _count_encoder_calls(edgetam, monkeypatch)
    edgetam.segment(session, 3, 1, [PointPrompt(40, 60)])
    assert len(calls) == 1
    edgetam.segment(session, 3, 1, [PointPrompt(40, 60), PointPrompt(5, 5, positive=False)])
    edgetam.segment(session, 3, 2, [BoxPrompt(20, 40, 60, 80)])
    assert len(calls) == 1
    edgetam.segment(session, 7, 1, [PointPrompt(60, 60)])
    assert len(calls) == 2
    # Back on frame 3: transformers' own cache (one frame, lowest index dropped) would re-encode it.
    again = edgetam.segment(session, 3, 1, [PointPrompt(40, 60)])
    assert len(calls) == 2
    assert again.mask.shape == (video.height, video.width)


def test_adding_a_prompt_gives_the_same_mask_as_all_prompts_at_once(edgetam, video):
    prompts = [PointPrompt(40, 60), PointPrompt(5, 5, positive=False), PointPrompt(50, 70)]
    step_by_step = edgetam.session("steps", video, lambda: [])
    for k in range(1, len(prompts) + 1):
        stepped = edgetam.segment(step_by_step, 4, 1, prompts[:k])
    at_once = edgetam.segment(edgetam.session("at-once", video, lambda: []), 4, 1, prompts)
    np.testing.assert_array_equal(stepped.mask, at_once.mask)
