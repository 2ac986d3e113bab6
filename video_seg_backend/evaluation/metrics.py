"""DAVIS measures: region similarity J, boundary F-measure F, and the per-sequence statistics.

The numbers match the official davis2017-evaluation code (davis2017/metrics.py, utils.py):
the same half-pixel-shifted boundary map (seg2bmap), the same tolerance (ceil(0.008 * image
diagonal) pixels, a disk dilated with cv2) and the same empty-mask conventions, so results can be
compared with published DAVIS tables. tests/evaluation checks this against a transcription of the
official functions. The one deliberate difference: the decay bins use int indices where the
official code casts to uint8, which wraps for sequences longer than 256 frames.
"""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["db_statistics", "dice", "disk", "f_measure", "jaccard", "seg2bmap"]


def _as_bool(mask: ArrayLike, name: str) -> NDArray[np.bool_]:
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-D mask (height, width), got shape {array.shape}")
    return array.astype(bool)


def _check_shapes(pred: NDArray[np.bool_], gt: NDArray[np.bool_], void: NDArray[np.bool_] | None) -> None:
    if pred.shape != gt.shape:
        raise ValueError(f"prediction {pred.shape} and ground truth {gt.shape} have different sizes")
    if void is not None and void.shape != gt.shape:
        raise ValueError(f"void mask {void.shape} and ground truth {gt.shape} have different sizes")


def jaccard(pred: ArrayLike, gt: ArrayLike, void: ArrayLike | None = None) -> float:
    """Region similarity J: intersection over union of two binary masks (1.0 when both are empty).

    Pixels marked in ``void`` are left out of both the intersection and the union.
    """
    p, g = _as_bool(pred, "pred"), _as_bool(gt, "gt")
    v = None if void is None else _as_bool(void, "void")
    _check_shapes(p, g, v)
    keep = np.ones_like(g) if v is None else ~v
    inter = np.count_nonzero(p & g & keep)
    union = np.count_nonzero((p | g) & keep)
    return 1.0 if union == 0 else inter / union


def dice(pred: ArrayLike, gt: ArrayLike, void: ArrayLike | None = None) -> float:
    """Dice coefficient 2|A∩B| / (|A|+|B|) of two binary masks (1.0 when both are empty)."""
    p, g = _as_bool(pred, "pred"), _as_bool(gt, "gt")
    v = None if void is None else _as_bool(void, "void")
    _check_shapes(p, g, v)
    keep = np.ones_like(g) if v is None else ~v
    inter = np.count_nonzero(p & g & keep)
    total = np.count_nonzero(p & keep) + np.count_nonzero(g & keep)
    return 1.0 if total == 0 else 2.0 * inter / total


def seg2bmap(seg: ArrayLike) -> NDArray[np.bool_]:
    """One-pixel-wide boundary map of a binary mask, as in the DAVIS / BSDS code.

    A pixel is on the boundary when it differs from its east, south or south-east neighbour, so
    the boundary sits half a pixel towards the origin from the true edge (the DAVIS convention).
    """
    s = _as_bool(seg, "seg")
    east = np.zeros_like(s)
    south = np.zeros_like(s)
    south_east = np.zeros_like(s)
    east[:, :-1] = s[:, 1:]
    south[:-1, :] = s[1:, :]
    south_east[:-1, :-1] = s[1:, 1:]
    bmap = (s ^ east) | (s ^ south) | (s ^ south_east)
    bmap[-1, :] = s[-1, :] ^ east[-1, :]
    bmap[:, -1] = s[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def disk(radius: float) -> NDArray[np.uint8]:
    """Disk structuring element, identical to ``skimage.morphology.disk(radius)``: x² + y² <= r²."""
    r = int(radius)
    coords = np.arange(-r, r + 1)
    xx, yy = np.meshgrid(coords, coords)
    return (xx**2 + yy**2 <= radius**2).astype(np.uint8)


def boundary_tolerance(shape: tuple[int, ...], bound_th: float = 0.008) -> float:
    """Match tolerance in pixels: ``bound_th`` itself when >= 1, else that fraction of the diagonal."""
    return bound_th if bound_th >= 1 else math.ceil(bound_th * math.hypot(shape[0], shape[1]))


def f_measure(pred: ArrayLike, gt: ArrayLike, bound_th: float = 0.008, void: ArrayLike | None = None) -> float:
    """Boundary F-measure F between a predicted and a ground-truth binary mask (DAVIS).

    Boundary pixels of one mask count as matched when a boundary pixel of the other lies within
    ``bound_th`` (a fraction of the image diagonal, or pixels when >= 1). Void pixels are removed
    from both masks before the boundaries are taken, as the official code does.
    """
    p, g = _as_bool(pred, "pred"), _as_bool(gt, "gt")
    v = None if void is None else _as_bool(void, "void")
    _check_shapes(p, g, v)
    if v is not None:
        p, g = p & ~v, g & ~v
    kernel = disk(boundary_tolerance(p.shape, bound_th))

    pred_boundary = seg2bmap(p)
    gt_boundary = seg2bmap(g)
    pred_dilated = cv2.dilate(pred_boundary.astype(np.uint8), kernel).astype(bool)
    gt_dilated = cv2.dilate(gt_boundary.astype(np.uint8), kernel).astype(bool)

    n_pred = np.count_nonzero(pred_boundary)
    n_gt = np.count_nonzero(gt_boundary)
    if n_pred == 0 and n_gt == 0:
        precision, recall = 1.0, 1.0
    elif n_pred == 0:
        precision, recall = 1.0, 0.0
    elif n_gt == 0:
        precision, recall = 0.0, 1.0
    else:
        precision = np.count_nonzero(pred_boundary & gt_dilated) / n_pred
        recall = np.count_nonzero(gt_boundary & pred_dilated) / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2 * precision * recall / (precision + recall))


def db_statistics(per_frame_values: ArrayLike) -> tuple[float, float, float]:
    """Mean, recall (fraction of frames above 0.5) and decay of one object's per-frame J or F.

    Decay is the mean of the first quarter of the frames minus the mean of the last quarter
    (DAVIS splits the frames into 4 bins that share their edge frames). NaN frames are ignored.
    """
    values = np.asarray(per_frame_values, dtype=float).ravel()
    if values.size == 0:
        raise ValueError("db_statistics needs at least one per-frame value")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        mean = float(np.nanmean(values))
        recall = float(np.nanmean(values > 0.5))
        n_bins = 4
        ids = (np.round(np.linspace(1, len(values), n_bins + 1) + 1e-10) - 1).astype(int)
        bins = [values[ids[i] : ids[i + 1] + 1] for i in range(n_bins)]
        decay = float(np.nanmean(bins[0]) - np.nanmean(bins[-1]))
    return mean, recall, decay
