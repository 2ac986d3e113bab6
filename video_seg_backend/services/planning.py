"""Which stretches of a video a tracking request covers: a pure function of the key frames.

Every frame between two key frames is tracked from the nearer one (up to the midpoint from each
side): a mask drifts with distance, so a correction never overwrites frames that an earlier key
frame tracked better.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from video_seg_backend.services.errors import PromptError

Way = Literal["forward", "backward"]
Direction = Literal["forward", "backward", "both"]


@dataclass(frozen=True)
class TrackingRun:
    """Track from ``start`` (a frame whose masks are known) ``frames`` frames ``direction``-wards."""

    start: int
    direction: Way
    frames: int


def plan_runs(
    keys: Sequence[int], last_frame: int, start_frame: int | None, direction: Direction, num_frames: int | None
) -> list[TrackingRun]:
    """The runs a request covers, given the key frames of the objects to track.

    - ``num_frames``: exactly that many frames each requested way (step-through mode).
    - A key frame as the start: re-track the stretches between it and its neighbouring key
      frames (each way asked for), and beyond the first or last key frame to the end.
    - Any other start frame: from there up to the next key frame (or the end) each way.
    - No start frame: the whole video, both ways.
    """
    keys = sorted(set(keys))
    if not keys:
        raise PromptError("Nothing to track yet: add a prompt (a click or a box) on a frame first.")
    if start_frame is not None and start_frame > last_frame:
        raise PromptError(f"Frame {start_frame} is out of range: this media has frames 0..{last_frame}.")
    if start_frame is None:
        return _whole_video(keys, last_frame)
    forward = direction in ("forward", "both")
    backward = direction in ("backward", "both")
    if num_frames is not None:
        return _steps(start_frame, last_frame, num_frames, forward, backward)
    if start_frame in keys:
        return _from_key_frame(keys, last_frame, start_frame, forward, backward)
    return _up_to_key_frames(keys, last_frame, start_frame, forward, backward)


def _between(a: int, b: int) -> list[TrackingRun]:
    """The frames strictly between key frames a < b, each from the nearer key frame."""
    mid = (a + b) // 2
    runs = [TrackingRun(a, "forward", mid - a)] if mid > a else []
    return runs + ([TrackingRun(b, "backward", b - mid - 1)] if b - mid - 1 > 0 else [])


def _outward(key: int, way: Way, last_frame: int) -> list[TrackingRun]:
    """From the first (last) key frame back to frame 0 (on to the last frame)."""
    n = key if way == "backward" else last_frame - key
    return [TrackingRun(key, way, n)] if n > 0 else []


def _whole_video(keys: list[int], last_frame: int) -> list[TrackingRun]:
    runs = _outward(keys[0], "backward", last_frame)
    for a, b in zip(keys, keys[1:], strict=False):
        runs += _between(a, b)
    return runs + _outward(keys[-1], "forward", last_frame)


def _steps(start: int, last_frame: int, num_frames: int, forward: bool, backward: bool) -> list[TrackingRun]:
    runs = []
    if forward and start < last_frame:
        runs.append(TrackingRun(start, "forward", min(last_frame, start + num_frames) - start))
    if backward and start > 0:
        runs.append(TrackingRun(start, "backward", start - max(0, start - num_frames)))
    return runs


def _from_key_frame(keys: list[int], last_frame: int, start: int, forward: bool, backward: bool) -> list[TrackingRun]:
    nxt = next((k for k in keys if k > start), None)
    prev = next((k for k in reversed(keys) if k < start), None)
    runs: list[TrackingRun] = []
    if forward:
        runs += _between(start, nxt) if nxt is not None else _outward(start, "forward", last_frame)
    if backward:
        runs += _between(prev, start) if prev is not None else _outward(start, "backward", last_frame)
    return runs


def _up_to_key_frames(keys: list[int], last_frame: int, start: int, forward: bool, backward: bool) -> list[TrackingRun]:
    nxt = next((k for k in keys if k > start), None)
    prev = next((k for k in reversed(keys) if k < start), None)
    runs: list[TrackingRun] = []
    if forward:
        runs.append(TrackingRun(start, "forward", (nxt - 1 if nxt is not None else last_frame) - start))
    if backward:
        runs.append(TrackingRun(start, "backward", start - (prev + 1 if prev is not None else 0)))
    return [r for r in runs if r.frames > 0]
