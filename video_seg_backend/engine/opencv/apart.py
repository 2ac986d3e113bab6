"""Objects that are apart stay apart: one pixel, one object.

Each object is tracked on its own, by its flow and its colours. Two objects of the same colours
(three red cups, two players of one team) that touch are then told apart by nothing: the colour
band of each takes in the other, both masks cover both objects, and once they part again one
object's mask often goes with the other (the cups of a shell game end with two masks on one cup
and none on another). Where two objects' masks overlap, the pixel goes to the one whose mask the
flow carried there and whose motion it follows: each object's warped mask (before colour
refinement), blurred so that a pixel the colour band added goes to the object it lies nearer to,
times how well the pixel's flow matches the similarity fitted to the object's motion (a block
sliding in front of a still look-alike takes its own pixels, not the still one's). A lost object's
search (redetect.py) passes over a region that is mostly another object's.

Only objects whose masks were apart are kept apart: a part region inside its object (a gripper
of a tool) overlaps it on the frame tracking starts from or on a key frame, and may keep
overlapping it; so may the pairs the caller names (the tracking job names each part and its object).
"""

from __future__ import annotations

import cv2
import numpy as np

# Masks that share more than this share of the smaller one overlap by design (a part in its whole);
# a pixel or two of a careless outline do not.
_OVERLAP_SHARE = 0.05


def overlap_by_design(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two objects' masks on one frame overlap as a part and its whole do."""
    smaller = min(int(a.sum()), int(b.sum()))
    return smaller > 0 and int(np.logical_and(a, b).sum()) > _OVERLAP_SHARE * smaller


# A pixel whose flow misses an object's fitted motion by this many working pixels follows it a
# little (exp(-1/2)); by three times as many, not at all.
MOTION_AGREEMENT_PX = 1.5


def overlapping_pairs(hards: dict[int, np.ndarray]) -> set[frozenset[int]]:
    """The pairs of objects whose masks overlap by design."""
    ids = sorted(hards)
    return {frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1 :] if overlap_by_design(hards[a], hards[b])}


def _sigma(warped: np.ndarray) -> float:
    """The blur of an object's claim: wider for a larger object, ~1 + 5% of its size."""
    return 1.0 + 0.05 * float(np.sqrt((warped > 0.5).sum()))


def contested_window(
    hards: dict[int, np.ndarray], warped: dict[int, np.ndarray], allowed: set[frozenset[int]]
) -> tuple[slice, slice, dict[int, float]] | None:
    """The window (rows, columns) around the pixels that two masks hold and that one must give up,
    wide enough for the blur of the claims of the objects in ``warped`` (those that may give pixels
    up, the others being key masks), and those blurs; None when there are no such pixels (pairs in
    ``allowed`` may share theirs)."""
    count = np.zeros(next(iter(hards.values())).shape, np.uint8)
    for hard in hards.values():
        count += hard
    shared = count > 1
    if not shared.any():
        return None
    holders = sorted(o for o in hards if np.logical_and(hards[o], shared).any())
    contested = np.zeros_like(shared)
    for i, a in enumerate(holders):
        for b in holders[i + 1 :]:
            if frozenset((a, b)) not in allowed and (a in warped or b in warped):
                contested |= np.logical_and(hards[a], hards[b])
    if not contested.any():
        return None
    sigmas = {o: _sigma(w) for o, w in warped.items()}
    margin = int(3 * max(sigmas.values())) + 1
    x, y, w, h = cv2.boundingRect(contested.astype(np.uint8))
    height, width = shared.shape
    rows = slice(max(0, y - margin), min(height, y + h + margin))
    return rows, slice(max(0, x - margin), min(width, x + w + margin)), sigmas


def claim(
    warped: np.ndarray,
    sigma: float,
    motion: np.ndarray | None,
    flow: tuple[np.ndarray, np.ndarray, np.ndarray],
    reliable: np.ndarray,
) -> np.ndarray:
    """How strongly an object holds each pixel of a window: its flow-carried mask ``warped``,
    blurred by ``sigma`` (a pixel the colour band added beside the mask is near it, not in it),
    times, where the flow is ``reliable``, how well the pixel's motion is the object's own
    ``motion`` (2x3, last frame -> this one): a still cup's pixels do not follow the cup sliding
    past it. ``flow``: the back flow of the window and its pixels' x and y."""
    held = cv2.GaussianBlur(warped.astype(np.float32), (0, 0), sigma)
    if motion is None:
        return held
    back, gx, gy = flow
    sx, sy = gx + back[..., 0], gy + back[..., 1]  # where each pixel came from
    px = motion[0, 0] * sx + motion[0, 1] * sy + motion[0, 2] - gx
    py = motion[1, 0] * sx + motion[1, 1] * sy + motion[1, 2] - gy
    follows = np.exp(-(px * px + py * py) / (2.0 * MOTION_AGREEMENT_PX**2))
    return held * np.where(reliable, follows, 1.0).astype(np.float32)


def split(
    hards: dict[int, np.ndarray], claims: dict[int, np.ndarray], fixed: set[int], allowed: set[frozenset[int]]
) -> dict[int, np.ndarray]:
    """Remove each contested pixel from all but one of the objects that hold it.

    ``hards``: each object's mask; ``claims``: their claim maps (``claim``); objects in ``fixed``
    (a person's key-frame mask) never give pixels up; pairs in ``allowed`` may overlap. Returns the
    objects whose masks changed, with their new masks."""
    ids = sorted(hards)
    changed: dict[int, np.ndarray] = {}
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if frozenset((a, b)) in allowed or (a in fixed and b in fixed):
                continue
            mask_a, mask_b = changed.get(a, hards[a]), changed.get(b, hards[b])
            both = np.logical_and(mask_a, mask_b)
            if not both.any():
                continue
            if a in fixed:
                a_wins = both
            elif b in fixed:
                a_wins = np.zeros_like(both)
            else:
                a_wins = both & (claims[a] >= claims[b])
            if a not in fixed:
                changed[a] = mask_a & ~(both & ~a_wins)
            if b not in fixed:
                changed[b] = mask_b & ~a_wins
    return changed
