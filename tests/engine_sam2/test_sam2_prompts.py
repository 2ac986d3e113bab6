"""Clicks on the SAM 2 engine: points, boxes, negative points, validation and the feature cache."""

from __future__ import annotations

import numpy as np
import pytest

from video_seg_backend.engine.base import BoxPrompt, PointPrompt

pytestmark = pytest.mark.sam2


def _count_encoder_calls(engine, monkeypatch) -> list[int]:
    calls: list[int] = []
    original = engine.predictor.forward_image

    def counting(img_batch):
        calls.append(1)
        return original(img_batch)

    monkeypatch.setattr(engine.predictor, "forward_image", counting)
    return calls


def test_point_box_and_negative_point_give_frame_sized_bool_masks(tiny_engine, video):
    session = tiny_engine.session("prompts", video, lambda: [])
    cases = [
        [PointPrompt(40, 60)],
        [BoxPrompt(20, 40, 60, 80)],
        [BoxPrompt(20, 40, 60, 80), PointPrompt(40, 60), PointPrompt(5, 5, positive=False)],
    ]
    for object_id, prompts in enumerate(cases, start=1):
        result = tiny_engine.segment(session, 2, object_id, prompts)
        assert result.object_id == object_id
        assert result.mask.shape == (video.height, video.width)
        assert result.mask.dtype == np.bool_
        assert result.score is not None and 0.0 <= result.score <= 1.0


def test_empty_prompt_list_clears_the_key_frame(tiny_engine, video):
    session = tiny_engine.session("clear", video, lambda: [])
    tiny_engine.segment(session, 0, 1, [PointPrompt(40, 60)])
    cleared = tiny_engine.segment(session, 0, 1, [])
    assert cleared.mask.shape == (video.height, video.width) and not cleared.mask.any()
    with pytest.raises(ValueError, match="no key frame"):
        tiny_engine.propagate(session, [1], 0, "forward")


@pytest.mark.parametrize(
    ("frame", "prompts", "message"),
    [
        (12, [PointPrompt(1, 1)], "out of range"),
        (0, [PointPrompt(161, 10)], "outside"),
        (0, [BoxPrompt(10, 10, 5, 20)], "empty"),
        (0, [BoxPrompt(0, 0, 10, 10), BoxPrompt(5, 5, 20, 20)], "one box"),
    ],
)
def test_bad_input_is_refused_with_a_sentence(tiny_engine, video, frame, prompts, message):
    session = tiny_engine.session("bad-input", video, lambda: [])
    with pytest.raises(ValueError, match=message):
        tiny_engine.segment(session, frame, 1, prompts)


def test_a_frame_is_encoded_once_for_every_further_click(tiny_engine, video, monkeypatch):
    session = tiny_engine.session("features", video, lambda: [])
    calls = _count_encoder_calls(tiny_engine, monkeypatch)
    tiny_engine.segment(session, 3, 1, [PointPrompt(40, 60)])
    assert len(calls) == 1
    tiny_engine.segment(session, 3, 1, [PointPrompt(40, 60), PointPrompt(5, 5, positive=False)])
    tiny_engine.segment(session, 3, 2, [BoxPrompt(20, 40, 60, 80)])
    assert len(calls) == 1
    tiny_engine.segment(session, 7, 1, [PointPrompt(60, 60)])
    assert len(calls) == 2
    # Back on frame 3: sam2 alone would re-encode it (it caches only the latest frame).
    again = tiny_engine.segment(session, 3, 1, [PointPrompt(40, 60)])
    assert len(calls) == 2
    assert again.mask.shape == (video.height, video.width)


def test_adding_a_prompt_gives_the_same_mask_as_all_prompts_at_once(tiny_engine, video):
    prompts = [PointPrompt(40, 60), PointPrompt(5, 5, positive=False), PointPrompt(50, 70)]
    step_by_step = tiny_engine.session("steps", video, lambda: [])
    for k in range(1, len(prompts) + 1):
        stepped = tiny_engine.segment(step_by_step, 4, 1, prompts[:k])
    at_once = tiny_engine.segment(tiny_engine.session("at-once", video, lambda: []), 4, 1, prompts)
    np.testing.assert_array_equal(stepped.mask, at_once.mask)
