"""Clicks to a mask with GrabCut: each prompt is a step that refines the mask of the step before.

A box alone is a GrabCut rectangle held to the box's tightness prior (box.py), cut on a video frame
to what moves (motion.py); one GrabCut step, whatever the prompt, is cut.py. A first click with no
box seeds the region of like colour around it (or a small disk) that GrabCut grows by colour; on a
video frame, the part moving on its own that holds the click is to it what a box is (motion.py). A
later click paints the error region it lands in (sure foreground for a positive click, sure
background for a negative one, as far as half its distance to the previous boundary) and GrabCut
re-runs near the previous mask and the click only. On a video frame, a negative click on still
ground inside the mask of a moving object also takes away the still part of the mask it lands on
(``motion.StillGround``): a sign in front of a passing car.

Every step is deterministic: OpenCV's random generator (one per thread), which GrabCut's k-means
start draws from, is re-seeded in the calling thread right before each GrabCut.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..base import BoxPrompt, PointPrompt, Prompt
from .box import box_colour_mask
from .config import OpenCVConfig
from .corrections import keep_local_change
from .cut import grabcut_step, side_by_side
from .motion import FrameMotion, StillGround, cut_to_motion, measured_motion, moving_part

# Up to n frames near the prompted one as (offset, RGB frame), read only when a box alone or a
# first click needs them.
Neighbours = Callable[[int], Sequence[tuple[int, np.ndarray]]]


def segment_prompts(
    rgb: np.ndarray,
    prompts: Sequence[Prompt],
    config: OpenCVConfig,
    known: Sequence[np.ndarray] = (),
    base: np.ndarray | None = None,
    neighbours: Neighbours | None = None,
    motion: FrameMotion | None = None,
) -> list[np.ndarray]:
    """The masks (H, W bool) after each step of ``prompts`` on ``rgb``: the last one is the answer.

    A box (the last one given) is the first step, then the points in order, each refining the mask
    of the step before, as a person's clicks do. ``known`` are masks of the first steps computed
    before (same frame, same prompts): they are reused, so a new click costs one GrabCut. The
    result does not depend on ``known``: every step is deterministic. ``base`` is the mask the first
    step refines (a tracked mask a person corrects); without it the first step starts from nothing.
    ``neighbours`` gives the frames next to a video frame, for a box alone or a first click
    (motion.py); ``motion`` the frame's motion against them, as the engine keeps it between clicks
    (computed here from ``neighbours`` when not given).
    """
    steps = step_list(prompts)
    masks = list(known[: len(steps)])
    previous = masks[-1] if masks else base
    if motion is None and neighbours is not None:
        motion = measured_motion(rgb, neighbours, config, {})
    still = StillGround(motion, config)
    for k in range(len(masks), len(steps)):
        # Step j refined the mask of the step before it ([base, *masks][j]).
        off = still.under_negatives(steps[: k + 1], [base, *masks])
        proposed = _segment_step(rgb, previous, steps[: k + 1], config, neighbours, off, motion)
        step = steps[k]
        if base is not None and config.local_corrections and previous is not None and isinstance(step, PointPrompt):
            # correcting a tracked mask: corrections.py
            proposed = keep_local_change(previous, proposed, step, config.correction_thick, config.correction_reach)
        previous = proposed
        masks.append(previous)
    return masks


def _segment_step(
    rgb: np.ndarray,
    previous: np.ndarray | None,
    steps: Sequence[Prompt],
    config: OpenCVConfig,
    neighbours: Neighbours | None = None,
    off: np.ndarray | None = None,
    motion: FrameMotion | None = None,
) -> np.ndarray:
    """One GrabCut after the last of ``steps``, starting from the mask of the steps before it;
    ``off`` (full-size bool) is sure background (what negative clicks took away)."""
    box = steps[0]
    fresh = previous is None or not previous.any()
    if fresh and len(steps) == 1 and isinstance(box, PointPrompt) and box.positive:
        # A first click: the region of like colour around it (a photo), or on a video frame the
        # part moving on its own that holds it (motion.py), unless that would make the mask many
        # times larger: a click on a small part of a moving whole (a racket in a player's hand)
        # asks for the part.
        if motion is None or config.click_motion_frames <= 0:
            return grabcut_step(rgb, None, steps, config).mask
        click, measured = box, motion  # as narrowed above, for the closure

        def moving() -> np.ndarray | None:
            lasso = moving_part(rgb, click, measured, config)
            return None if lasso is None else grabcut_step(rgb, None, steps, config, lasso=lasso).mask

        narrow, wide = side_by_side(lambda: grabcut_step(rgb, None, steps, config).mask, moving)
        if wide is None:
            return narrow
        return wide if wide.sum() <= config.click_motion_max_growth * max(1, int(narrow.sum())) else narrow
    if len(steps) > 1 or not isinstance(box, BoxPrompt) or not fresh:
        return grabcut_step(rgb, previous, steps, config, off=off).mask
    mask = box_colour_mask(rgb, box, config)
    if neighbours is None or config.box_motion_frames <= 0:
        return mask
    return cut_to_motion(mask, rgb, box, neighbours(config.box_motion_frames), config)


def step_list(prompts: Sequence[Prompt]) -> list[Prompt]:
    """The order prompts refine a mask in: the last box given, then the points as clicked."""
    boxes = [p for p in prompts if isinstance(p, BoxPrompt)]
    return boxes[-1:] + [p for p in prompts if isinstance(p, PointPrompt)]
