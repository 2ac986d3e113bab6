"""A simulated annotator: where a person would click next to fix a mask, and the box it draws.

This is the click protocol of the interactive-segmentation benchmarks (RITM, SAM's "1 to N clicks"
evaluation): look at the missed pixels (false negatives) and the wrongly added pixels (false
positives), take the error region with the largest inner radius, and click at its centre, the
pixel farthest from the region's border. A click there is positive when the region was missed
and negative when it was wrongly added. The inner radius, not the pixel count, picks the region
because a long one-pixel sliver along the object's edge is large but is not where a person
clicks, nor where a click helps.

The robot's box prompt is the true mask's bounding box (``mask_box``), as the box-prompt
benchmarks draw it.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["error_regions", "mask_box", "next_click"]


def error_regions(
    pred: ArrayLike, gt: ArrayLike, void: ArrayLike | None = None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The missed pixels (gt but not pred) and the false pixels (pred but not gt), void excluded."""
    p = np.asarray(pred).astype(bool)
    g = np.asarray(gt).astype(bool)
    if p.shape != g.shape or p.ndim != 2:
        raise ValueError(f"pred {p.shape} and gt {g.shape} must be 2-D masks of the same size")
    missed = g & ~p
    false = p & ~g
    if void is not None:
        keep = ~np.asarray(void).astype(bool)
        missed &= keep
        false &= keep
    return missed, false


def _inner_distance(region: NDArray[np.bool_]) -> NDArray[np.float32]:
    # Pad with background so the image edge counts as a border: a click on the very edge of the
    # frame is as unhelpful as one on the edge of the region.
    padded = np.pad(region.astype(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return dist[1:-1, 1:-1]


def next_click(pred: ArrayLike, gt: ArrayLike, void: ArrayLike | None = None) -> tuple[float, float, bool] | None:
    """Where to click next to correct ``pred`` towards ``gt``: ``(x, y, positive)`` or None.

    ``x`` is the column and ``y`` the row of the pixel (image coordinates, as the prompts API
    takes them). ``positive`` is True inside a missed area and False inside a false area. Returns
    None when the masks agree everywhere outside ``void``.
    """
    missed, false = error_regions(pred, gt, void)
    if not missed.any() and not false.any():
        return None
    missed_dist = _inner_distance(missed)
    false_dist = _inner_distance(false)
    missed_max = float(missed_dist.max())
    false_max = float(false_dist.max())
    positive = missed_max >= false_max
    dist = missed_dist if positive else false_dist
    # A thick region has a plateau of equally deep pixels (a rectangle has a whole line of them):
    # take the one nearest the plateau's middle, which is where a person aims, and deterministic.
    ys, xs = np.nonzero(dist >= dist.max() - 1e-3)
    nearest = int(np.argmin((ys - ys.mean()) ** 2 + (xs - xs.mean()) ** 2))
    return float(xs[nearest]), float(ys[nearest]), bool(positive)


def mask_box(mask: ArrayLike) -> tuple[float, float, float, float] | None:
    """The mask's bounding box (x0, y0, x1, y1) in pixel edges (the last row and column inside
    it: x1 - x0 is the box's width in pixels); None for an empty mask."""
    ys, xs = np.nonzero(np.asarray(mask))
    if len(xs) == 0:
        return None
    return float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)
