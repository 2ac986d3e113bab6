"""The state cache: bounded by bytes, and an evicted state is rebuilt by replaying the key frames."""

from __future__ import annotations

import numpy as np
import pytest

from video_seg_backend.engine.base import KeyFrame, PointPrompt
from video_seg_backend.engine.sam2_engine import Sam2Engine, Sam2EngineConfig

pytestmark = pytest.mark.sam2


def test_states_are_evicted_by_memory_budget_and_rebuilt_by_replay(tiny_engine, video):
    # A second engine on the same (shared) model, with a budget that holds about one state.
    engine = Sam2Engine("budget", tiny_engine.predictor, Sam2EngineConfig(frame_cache_frames=4))
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
    assert size_a > 500_000  # measured from its tensors (features, outputs, frames): ~0.9 MB in bf16
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


def test_a_mask_key_frame_is_replayed_with_add_mask(tiny_engine, video):
    mask = np.zeros((video.height, video.width), dtype=bool)
    mask[40:80, 30:70] = True
    engine = Sam2Engine("replay-mask", tiny_engine.predictor, Sam2EngineConfig(frame_cache_frames=4))

    live = engine.session("m", video, lambda: [])
    engine.set_mask(live, 3, 7, mask)
    live_masks = [masks for _, masks in engine.propagate(live, [7], 3, "forward", max_frames=1)]

    engine.forget("m")
    rebuilt = engine.session("m", video, lambda: [KeyFrame(7, 3, [], mask)])
    rebuilt_masks = [masks for _, masks in engine.propagate(rebuilt, [7], 3, "forward", max_frames=1)]
    for before, after in zip(live_masks, rebuilt_masks, strict=True):
        np.testing.assert_array_equal(before[0].mask, after[0].mask)


def test_set_mask_refuses_a_mask_of_another_size(tiny_engine, video):
    session = tiny_engine.session("wrong-size", video, lambda: [])
    with pytest.raises(ValueError, match="frame is 160x120"):
        tiny_engine.set_mask(session, 0, 1, np.zeros((10, 10), dtype=bool))
