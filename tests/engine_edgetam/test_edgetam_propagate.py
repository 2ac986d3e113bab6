"""Tracking: directions, max_frames, cancel, corrections, and flat memory on a long video."""

from __future__ import annotations

import threading
import time

import numpy as np

from tests.engine_edgetam.conftest import SyntheticVideo, sibling
from video_seg_backend.engine.base import KeyFrame, PointPrompt
from video_seg_backend.engine.edgetam_session import state_nbytes


def _frames(iterator) -> list[int]:
    return [frame for frame, _ in iterator]


def test_forward_backward_and_both_directions_with_max_frames(edgetam, video):
    session = edgetam.session("directions", video, lambda: [])
    edgetam.segment(session, 5, 1, [PointPrompt(50, 60)])
    edgetam.segment(session, 5, 2, [PointPrompt(5, 5)])

    forward = list(edgetam.propagate(session, [1, 2], 5, "forward", max_frames=1))
    assert [frame for frame, _ in forward] == [5, 6]
    for _, masks in forward:
        assert [m.object_id for m in masks] == [1, 2]
        assert all(m.mask.shape == (video.height, video.width) and m.mask.dtype == np.bool_ for m in masks)

    assert _frames(edgetam.propagate(session, [1], 5, "backward", max_frames=1)) == [5, 4]
    assert _frames(edgetam.propagate(session, [1], 10, "forward", max_frames=5)) == [10, 11]
    assert _frames(edgetam.propagate(session, [1], 1, "backward", max_frames=5)) == [1, 0]
    assert _frames(edgetam.propagate(session, [1], 5, "forward", max_frames=0)) == [5]


def test_the_key_frame_mask_comes_first_unchanged(edgetam, video):
    session = edgetam.session("key-first", video, lambda: [])
    clicked = edgetam.segment(session, 4, 1, [PointPrompt(50, 60)])
    frame, masks = next(iter(edgetam.propagate(session, [1], 4, "backward")))
    assert frame == 4
    np.testing.assert_array_equal(masks[0].mask, clicked.mask)


def test_stopping_the_generator_cancels_and_frees_the_session(edgetam, video):
    session = edgetam.session("cancel", video, lambda: [])
    edgetam.segment(session, 0, 1, [PointPrompt(40, 60)])
    frames = edgetam.propagate(session, [1], 0, "forward")
    seen = [next(frames)[0], next(frames)[0]]
    frames.close()
    assert seen == [0, 1]
    assert session.propagations == 0
    edgetam.segment(session, 6, 1, [PointPrompt(70, 60)])  # the lock was not left held


def test_a_correction_re_tracks_and_is_replayed_as_the_person_saw_it(edgetam, video):
    first = [PointPrompt(40, 60)]
    correction = [PointPrompt(45, 60), PointPrompt(5, 5, positive=False)]
    session = edgetam.session("correction", video, lambda: [])
    edgetam.segment(session, 0, 1, first)
    tracked = dict((f, m[0].mask) for f, m in edgetam.propagate(session, [1], 0, "forward", max_frames=4))

    corrected = edgetam.segment(session, 2, 1, correction, base_mask=tracked[2])
    after = dict((f, m[0].mask) for f, m in edgetam.propagate(session, [1], 2, "forward", max_frames=2))
    np.testing.assert_array_equal(after[2], corrected.mask)  # the correction is the new key frame
    assert not np.array_equal(after[3], tracked[3]) or not np.array_equal(after[4], tracked[4])

    # Tracked frames depend on what was tracked before (as in SAM 2); the key frame does not.
    key_frames = [KeyFrame(1, 0, first), KeyFrame(1, 2, correction, tracked[2])]
    rebuilt = edgetam.session("correction-replayed", video, lambda: key_frames)
    frame, masks = next(iter(edgetam.propagate(rebuilt, [1], 2, "forward")))
    assert frame == 2
    np.testing.assert_array_equal(masks[0].mask, corrected.mask)


def test_memory_stays_flat_on_a_long_video(edgetam):
    engine = sibling(edgetam, frame_cache_frames=2, feature_cache_frames=1)
    assert engine.memory_window == 15  # 16 object pointers, 7 mask memories
    engine.memory_window = 3  # the same code path, on a video short enough for a test
    long_video = SyntheticVideo(num_frames=14)
    session = engine.session("long", long_video, lambda: [])
    engine.segment(session, 0, 1, [PointPrompt(40, 60)])
    sizes = []
    for frame, _ in engine.propagate(session, [1], 0, "forward"):
        outputs = session.state.output_dict_per_obj[0]
        assert sorted(outputs["non_cond_frame_outputs"]) == list(range(max(1, frame - 3), frame + 1))
        assert list(outputs["cond_frame_outputs"]) == [0]  # key frames are never dropped
        sizes.append(state_nbytes(session))
    assert sizes[5:] == [sizes[5]] * len(sizes[5:])
    assert long_video.reads == 14  # every frame decoded once, none kept beyond the 2-frame cache


def test_a_click_during_a_propagation_returns_before_it_ends_and_joins_the_tracking(edgetam, video):
    session = edgetam.session("threads", video, lambda: [])
    edgetam.segment(session, 0, 1, [PointPrompt(40, 60)])
    started = threading.Event()
    finished_at: list[float] = []
    tracked: list[int] = []

    def job():
        for frame, _ in edgetam.propagate(session, [1], 0, "forward"):
            tracked.append(frame)
            if frame == 1:
                started.set()
        finished_at.append(time.monotonic())

    worker = threading.Thread(target=job)
    worker.start()
    assert started.wait(60)
    clicked = edgetam.segment(session, 9, 1, [PointPrompt(70, 60)])  # a key frame ahead of the tracking
    clicked_at = time.monotonic()
    assert clicked.mask.shape == (video.height, video.width)
    assert not finished_at, "the click waited for the whole propagation"
    worker.join(120)
    assert finished_at and clicked_at < finished_at[0]
    assert tracked == list(range(12))  # the new key frame's memory was encoded when tracking reached it
