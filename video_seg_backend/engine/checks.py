"""The one gate for what an engine is given: frames, prompts, masks and tracking requests.

Every engine checks its input here, so a bad click reads the same whichever model runs it.
``EngineInputError`` is a ``ValueError``: the service turns it into a 422 with the message, which
says what is wrong and what to change, in source pixels and frame indices as the person sees them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import numpy as np

from .base import BoxPrompt, EngineSession, FrameSource, PointPrompt, Prompt

S = TypeVar("S")


class EngineInputError(ValueError):
    """Input an engine cannot take; the message tells the person what to change."""


def own(session: EngineSession, kind: type[S]) -> S:
    """``session`` as the engine's own session type (a session of another engine is refused)."""
    if not isinstance(session, kind):
        raise EngineInputError(f"This session belongs to another engine ({type(session).__name__}).")
    return session


def check_has_frames(media_key: str, frames: FrameSource) -> None:
    if frames.num_frames < 1:
        raise EngineInputError(f"Media {media_key} has no frames to segment.")


def check_frame(frames: FrameSource, frame_index: int) -> None:
    n = frames.num_frames
    if not 0 <= frame_index < n:
        raise EngineInputError(f"Frame {frame_index} is out of range: the media has frames 0 to {n - 1}.")


def check_prompt(frames: FrameSource, prompt: Prompt) -> None:
    """A point on the frame (its edges included), or a non-empty box inside it."""
    w, h = frames.width, frames.height
    if isinstance(prompt, PointPrompt):
        if not all(math.isfinite(v) for v in (prompt.x, prompt.y)) or not (0 <= prompt.x <= w and 0 <= prompt.y <= h):
            raise EngineInputError(f"The point ({prompt.x}, {prompt.y}) is outside the {w}x{h} frame.")
    elif isinstance(prompt, BoxPrompt):
        box = (prompt.x0, prompt.y0, prompt.x1, prompt.y1)
        if not all(math.isfinite(v) for v in box) or not (
            0 <= prompt.x0 <= w and 0 <= prompt.x1 <= w and 0 <= prompt.y0 <= h and 0 <= prompt.y1 <= h
        ):
            raise EngineInputError(f"The box {box} is not inside the {w}x{h} frame.")
        if prompt.x1 <= prompt.x0 or prompt.y1 <= prompt.y0:
            raise EngineInputError(f"The box {box} is empty: (x0, y0) must be above and left of (x1, y1).")
    else:
        raise EngineInputError(f"Unknown prompt type {type(prompt).__name__}: use a PointPrompt or a BoxPrompt.")


def checked_prompts(
    frames: FrameSource, frame_index: int, prompts: Sequence[Prompt], one_box: bool = False
) -> tuple[Prompt, ...]:
    """The prompt list of one object on one frame. ``one_box``: the model takes at most one box
    (SAM 2); engines that refine step by step take the last box given."""
    check_frame(frames, frame_index)
    for prompt in prompts:
        check_prompt(frames, prompt)
    if one_box and sum(isinstance(p, BoxPrompt) for p in prompts) > 1:
        raise EngineInputError("This model takes at most one box per object and frame; remove the other box.")
    return tuple(prompts)


def checked_mask(frames: FrameSource, mask: np.ndarray) -> np.ndarray:
    """``mask`` as a boolean array of the frame's size."""
    mask = np.asarray(mask)
    if mask.shape != (frames.height, frames.width):
        shape = "x".join(str(n) for n in mask.shape[::-1])
        raise EngineInputError(f"The mask is {shape} pixels but the frame is {frames.width}x{frames.height}.")
    return mask.astype(bool)


def check_propagation(frames: FrameSource, start_frame: int, direction: str, max_frames: int | None) -> None:
    check_frame(frames, start_frame)
    if direction not in ("forward", "backward"):
        raise EngineInputError(f"The direction must be 'forward' or 'backward', got {direction!r}.")
    if max_frames is not None and max_frames < 0:
        raise EngineInputError(f"max_frames must be 0 or more, got {max_frames}.")


def checked_start_masks(frames: FrameSource, start_masks: Mapping[int, np.ndarray] | None) -> dict[int, np.ndarray]:
    """The masks tracking starts from, each checked as ``checked_mask``."""
    return {object_id: checked_mask(frames, mask) for object_id, mask in (start_masks or {}).items()}
