"""plan_runs as a table: every branch of its docstring, on a 10-frame video (frames 0..9) unless said."""

from __future__ import annotations

import random
import re

import pytest

from video_seg_backend.services.errors import PromptError
from video_seg_backend.services.planning import TrackingRun, plan_runs

F, B = "forward", "backward"


def runs(*rows: tuple[int, str, int]) -> list[TrackingRun]:
    return [TrackingRun(start, direction, frames) for start, direction, frames in rows]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("keys", "start", "direction", "num_frames", "expected"),
    [
        # No start frame: the whole video, each frame from the nearer key frame.
        pytest.param([0], None, "both", None, runs((0, F, 9)), id="whole-key-at-start"),
        pytest.param([4], None, "both", None, runs((4, B, 4), (4, F, 5)), id="whole-key-in-middle"),
        pytest.param([9], None, "both", None, runs((9, B, 9)), id="whole-key-at-end"),
        pytest.param([2, 8], None, "both", None, runs((2, B, 2), (2, F, 3), (8, B, 2), (8, F, 1)), id="whole-two"),
        pytest.param([8, 2, 8], None, "both", None, runs((2, B, 2), (2, F, 3), (8, B, 2), (8, F, 1)), id="unsorted"),
        pytest.param([3, 4], None, "both", None, runs((3, B, 3), (4, F, 5)), id="whole-adjacent-keys"),
        pytest.param([3, 5], None, "both", None, runs((3, B, 3), (3, F, 1), (5, F, 4)), id="whole-one-between"),
        pytest.param(
            [3, 6], None, "both", None, runs((3, B, 3), (3, F, 1), (6, B, 1), (6, F, 3)), id="whole-two-between"
        ),
        pytest.param([4], None, "forward", None, runs((4, B, 4), (4, F, 5)), id="whole-ignores-direction"),
        # num_frames: that many frames each way asked for, clipped at the ends.
        pytest.param([0], 4, "both", 2, runs((4, F, 2), (4, B, 2)), id="steps-both"),
        pytest.param([0], 4, "backward", 2, runs((4, B, 2)), id="steps-backward"),
        pytest.param([0], 8, "forward", 5, runs((8, F, 1)), id="steps-clipped-at-end"),
        pytest.param([0], 1, "backward", 5, runs((1, B, 1)), id="steps-clipped-at-start"),
        pytest.param([0], 9, "forward", 3, [], id="steps-from-last-frame"),
        pytest.param([5], 0, "backward", 3, [], id="steps-from-first-frame"),
        pytest.param([0], 3, "both", 20, runs((3, F, 6), (3, B, 3)), id="steps-past-both-ends"),
        # A key frame as the start: the stretches to its neighbouring key frames, or to the ends.
        pytest.param([2, 8], 2, "both", None, runs((2, F, 3), (8, B, 2), (2, B, 2)), id="key-first-of-two"),
        pytest.param([2, 8], 8, "forward", None, runs((8, F, 1)), id="key-last-forward"),
        pytest.param([2, 8], 8, "backward", None, runs((2, F, 3), (8, B, 2)), id="key-last-backward"),
        pytest.param([2, 5, 8], 5, "both", None, runs((5, F, 1), (8, B, 1), (2, F, 1), (5, B, 1)), id="key-middle"),
        pytest.param([9], 9, "forward", None, [], id="key-at-end-forward"),
        pytest.param([0], 0, "backward", None, [], id="key-at-start-backward"),
        pytest.param([0], 0, "both", None, runs((0, F, 9)), id="key-at-start-both"),
        # Any other start: up to the next key frame (or the end) each way.
        pytest.param([2, 8], 5, "both", None, runs((5, F, 2), (5, B, 2)), id="between-keys"),
        pytest.param([2], 5, "forward", None, runs((5, F, 4)), id="after-last-key"),
        pytest.param([8], 5, "backward", None, runs((5, B, 5)), id="before-first-key"),
        pytest.param([2, 6], 5, "forward", None, [], id="next-frame-is-a-key"),
        pytest.param([2, 8], 3, "backward", None, [], id="previous-frame-is-a-key"),
        pytest.param([4], 0, "both", None, runs((0, F, 3)), id="from-frame-0"),
    ],
)
def test_plan_runs(keys, start, direction, num_frames, expected):
    assert plan_runs(keys, 9, start, direction, num_frames) == expected


def test_a_one_frame_video_has_nothing_to_track():
    assert plan_runs([0], 0, None, "both", None) == []


@pytest.mark.parametrize(
    ("keys", "start", "message"),
    [
        ([], 0, "Nothing to track yet: add a prompt (a click or a box) on a frame first."),
        ([], None, "Nothing to track yet"),
        ([3], 10, "Frame 10 is out of range: this media has frames 0..9."),
    ],
)
def test_requests_that_cannot_be_planned_say_why(keys, start, message):
    with pytest.raises(PromptError, match=re.escape(message)):
        plan_runs(keys, 9, start, "both", None)


@pytest.mark.parametrize("seed", range(20))
def test_the_whole_video_tracks_every_frame_once_from_the_nearer_key_frame(seed):
    rng = random.Random(seed)
    last = rng.randint(0, 40)
    keys = sorted(rng.sample(range(last + 1), rng.randint(1, min(5, last + 1))))
    covered: list[int] = []
    for run in plan_runs(keys, last, None, "both", None):
        step = 1 if run.direction == "forward" else -1
        frames = [run.start + step * i for i in range(1, run.frames + 1)]
        for frame in frames:  # no other key frame is nearer than the one it is tracked from
            assert abs(frame - run.start) == min(abs(frame - k) for k in keys)
        covered += frames
    assert sorted(covered) == sorted(set(range(last + 1)) - set(keys))
