"""Objects that are apart stay apart: one pixel, one object.

Each object is tracked on its own, by its flow and its colours. Two objects of the same colours
(three red cups, two players of one team) that touch are then told apart by nothing: the colour
band of each takes in the other, both masks cover both objects, and once they part again one
object's mask often goes with the other (the cups of a shell game end with two masks on one cup
and none on another). Where two objects' masks overlap, the pixel goes to the one whose mask the
flow carried there: each object's warped mask (before colour refinement), blurred so that a pixel
the colour band added goes to the object it lies nearer to.

Only objects whose masks were apart are kept apart: a part region inside its object (a gripper
of a tool) overlaps it on the frame tracking starts from or on a key frame, and may keep
overlapping it.
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


def claim_sigma(warped: np.ndarray) -> float:
    """The blur of an object's claim (``claim``): wider for a larger object, ~1 + 5% of its size."""
    return 1.0 + 0.05 * float(np.sqrt((warped > 0.5).sum()))


def claim(warped: np.ndarray, sigma: float) -> np.ndarray:
    """How strongly an object holds each pixel: its flow-carried mask, blurred by ``sigma`` (a
    pixel the colour band added beside the mask is near it, not in it)."""
    return cv2.GaussianBlur(warped.astype(np.float32), (0, 0), sigma)


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
