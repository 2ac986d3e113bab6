"""The session cache: bounded by bytes, and an evicted state rebuilt by replaying the key frames."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine_edgetam.conftest import sibling
from video_seg_backend.engine.base import KeyFrame, PointPrompt


def test_states_are_evicted_by_memory_budget_and_rebuilt_by_replay(edgetam, video):
    engine = sibling(edgetam, frame_cache_frames=4)
    key_frames = {
        "a": [KeyFrame(1, 2, [PointPrompt(40, 60), PointPrompt(5, 5, positive=False)])],
        "b": [KeyFrame(1, 5, [PointPrompt(60, 60)])],
    }
    replays: list[str] = []

    def replay_of(key):
        def replay():
            replays.append(key)
            return key_frames[key]

        return replay

    a = engine.session("a", video, replay_of("a"))
    first = engine.segment(a, 2, 1, key_frames["a"][0].prompts)
    size_a = engine.cached_sessions()["a"]
    assert size_a > 300_000  # measured from its tensors (features, memory, frames)
    engine.config.state_cache_bytes = int(size_a * 1.5)

    b = engine.session("b", video, replay_of("b"))
    engine.segment(b, 5, 1, key_frames["b"][0].prompts)
    assert list(engine.cached_sessions()) == ["b"]  # "a" was least recently used
    assert sum(engine.cached_sessions().values()) <= engine.config.state_cache_bytes

    rebuilt = engine.session("a", video, replay_of("a"))
    assert rebuilt is not a and replays == ["a", "b", "a"]
    again = engine.segment(rebuilt, 2, 1, key_frames["a"][0].prompts)
    np.testing.assert_array_equal(again.mask, first.mask)
    assert list(engine.cached_sessions()) == ["a"]


def test_a_mask_key_frame_is_replayed(edgetam, video):
    mask = np.zeros((video.height, video.width), dtype=bool)
    mask[40:80, 30:70] = True
    engine = sibling(edgetam, frame_cache_frames=4)

    live = engine.session("m", video, lambda: [])
    engine.set_mask(live, 3, 7, mask)
    live_masks = [masks[0].mask for _, masks in engine.propagate(live, [7], 3, "forward", max_frames=1)]
    # A mask key frame is the mask given, through the model's low-resolution (S/4) output.
    iou = (live_masks[0] & mask).sum() / (live_masks[0] | mask).sum()
    assert iou > 0.9

    engine.forget("m")
    rebuilt = engine.session("m", video, lambda: [KeyFrame(7, 3, [], mask)])
    rebuilt_masks = [masks[0].mask for _, masks in engine.propagate(rebuilt, [7], 3, "forward", max_frames=1)]
    for before, after in zip(live_masks, rebuilt_masks, strict=True):
        np.testing.assert_array_equal(before, after)


def test_removing_an_object_forgets_its_key_frames(edgetam, video):
    session = edgetam.session("remove", video, lambda: [])
    edgetam.segment(session, 1, 1, [PointPrompt(40, 60)])
    edgetam.segment(session, 1, 2, [PointPrompt(5, 5)])
    edgetam.remove_object(session, 1)

    with pytest.raises(ValueError, match="Object 1 has no key frame"):
        edgetam.propagate(session, [1], 1, "forward")
    assert _frames_of(edgetam.propagate(session, [2], 1, "forward", max_frames=1)) == [1, 2]


def test_features_share_one_copy_of_the_position_encodings(edgetam, video):
    engine = sibling(edgetam, feature_cache_frames=4)
    one = engine.session("pos-one", video, lambda: [])
    engine.segment(one, 0, 1, [PointPrompt(40, 60)])
    size_one_frame = engine.cached_sessions()["pos-one"]
    engine.segment(one, 1, 1, [PointPrompt(40, 60)])
    size_two_frames = engine.cached_sessions()["pos-one"]
    pos = engine._pos_enc[0]
    pos_bytes = sum(t.untyped_storage().nbytes() for t in pos)
    # The second frame adds its features and outputs, not another copy of the encodings.
    assert size_two_frames - size_one_frame < pos_bytes
    assert all(f["vision_pos_embeds"] is pos for f in one.cache._vision_features.values())


def _frames_of(iterator) -> list[int]:
    return [frame for frame, _ in iterator]
