"""Tracking: directions, max_frames, cancel, the memory window, and clicks during a propagation."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from video_seg_backend.engine.base import PointPrompt
from video_seg_backend.engine.sam2_engine import Sam2Engine, Sam2EngineConfig, state_nbytes

pytestmark = pytest.mark.sam2


def _frames(iterator) -> list[int]:
    return [frame for frame, _ in iterator]


def test_forward_backward_and_both_directions_with_max_frames(tiny_engine, video):
    session = tiny_engine.session("directions", video, lambda: [])
    tiny_engine.segment(session, 5, 1, [PointPrompt(50, 60)])
    tiny_engine.segment(session, 5, 2, [PointPrompt(5, 5)])

    forward = list(tiny_engine.propagate(session, [1, 2], 5, "forward", max_frames=1))
    assert [frame for frame, _ in forward] == [5, 6]
    for _, masks in forward:
        assert [m.object_id for m in masks] == [1, 2]
        assert all(m.mask.shape == (video.height, video.width) and m.mask.dtype == np.bool_ for m in masks)

    assert _frames(tiny_engine.propagate(session, [1], 5, "backward", max_frames=1)) == [5, 4]
    # Both ways from the key frame, as the service does it; the ends of the video bound the range.
    assert _frames(tiny_engine.propagate(session, [1], 10, "forward", max_frames=5)) == [10, 11]
    assert _frames(tiny_engine.propagate(session, [1], 1, "backward", max_frames=5)) == [1, 0]
    assert _frames(tiny_engine.propagate(session, [1], 5, "forward", max_frames=0)) == [5]


def test_the_key_frame_mask_comes_first_unchanged(tiny_engine, video):
    session = tiny_engine.session("key-first", video, lambda: [])
    clicked = tiny_engine.segment(session, 4, 1, [PointPrompt(50, 60)])
    frame, masks = next(iter(tiny_engine.propagate(session, [1], 4, "backward")))
    assert frame == 4
    np.testing.assert_array_equal(masks[0].mask, clicked.mask)


def test_stopping_the_generator_cancels_and_frees_the_session(tiny_engine, video):
    session = tiny_engine.session("cancel", video, lambda: [])
    tiny_engine.segment(session, 0, 1, [PointPrompt(40, 60)])
    frames = tiny_engine.propagate(session, [1], 0, "forward")
    seen = [next(frames)[0], next(frames)[0]]
    frames.close()
    assert seen == [0, 1]
    assert session.propagations == 0
    # The lock was not left held: a click goes through at once.
    tiny_engine.segment(session, 6, 1, [PointPrompt(70, 60)])


def test_outputs_behind_the_memory_window_are_dropped(tiny_engine, video):
    engine = Sam2Engine("window", tiny_engine.predictor, Sam2EngineConfig(frame_cache_frames=2))
    assert engine.memory_window == 15  # sam2.1: 16 object pointers, 7 mask memories
    engine.memory_window = 2  # the same code path, on a video short enough for a test
    session = engine.session("window", video, lambda: [])
    engine.segment(session, 0, 1, [PointPrompt(40, 60)])
    sizes = []
    for frame, _ in engine.propagate(session, [1], 0, "forward", max_frames=5):
        outputs = session.state["output_dict_per_obj"][0]
        kept = sorted(outputs["non_cond_frame_outputs"])
        assert kept == list(range(max(1, frame - 2), frame + 1))
        assert list(outputs["cond_frame_outputs"]) == [0]  # key frames are never dropped
        sizes.append(state_nbytes(session))
    # Flat once the window (and the 2-frame frame cache) is full.
    assert sizes[3:] == [sizes[3]] * len(sizes[3:])


def test_a_click_during_a_propagation_returns_before_it_ends(tiny_engine, video):
    session = tiny_engine.session("threads", video, lambda: [])
    tiny_engine.segment(session, 0, 1, [PointPrompt(40, 60)])
    started = threading.Event()
    finished_at: list[float] = []

    def job():
        for frame, _ in tiny_engine.propagate(session, [1], 0, "forward"):
            if frame == 1:
                started.set()
        finished_at.append(time.monotonic())

    worker = threading.Thread(target=job)
    worker.start()
    assert started.wait(60)
    result = tiny_engine.segment(session, 9, 2, [PointPrompt(70, 60)])  # a frame not encoded yet
    clicked_at = time.monotonic()
    assert result.mask.shape == (video.height, video.width)
    assert not finished_at, "the click waited for the whole propagation"
    worker.join(120)
    assert finished_at and clicked_at < finished_at[0]
