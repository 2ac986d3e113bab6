"""GrabCut, and the energy it minimises, to compare two GrabCuts of the same box.

cv2.grabCut minimises an energy (Rother et al. 2004): the colour models' negative log-likelihood
of every pixel under its label, plus a cost ``gamma * exp(-beta * |colour step|^2)`` for each pair
of neighbours it puts on different sides. It starts its two colour models (mixtures of five
Gaussians) from the labels it is given and a k-means run, and from there only goes downhill: on a
frame whose object and background share colours, another start ends in another local minimum,
far apart in quality (around the same boat, one start gave IoU 0.69 with the truth and another
0.37). Two GrabCuts with the same sure labels (the same box and margin, in the same colours) that
started differently are compared by their energies, under the models each ended with: the lower is
the segmentation GrabCut itself prefers.

A box also says more than "outside is background": drawn around an object, it is crossed by the
object on every row and every column (the tightness prior of Lempitsky et al., "Image segmentation
with a bounding box prior", ICCV 2009; a connected object's shadow on either axis is the box's
side). GrabCut alone often leaves whole bands of the box empty (a motorbike's dark lower half under
its rider, the nose of a car in smoke); ``pin_sweep_lines`` holds it to the prior.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

_FG, _PR_FG = cv2.GC_FGD, cv2.GC_PR_FGD
_GAMMA = 50.0  # OpenCV's weight of the boundary term
_COMPONENTS = 5  # Gaussians per colour model


class GrabCut(NamedTuple):
    """GrabCut's labels, its energy when measured (else None), and the labels before the sweep
    lines were pinned (the same array when nothing was pinned)."""

    labels: np.ndarray
    energy: float | None
    unpinned: np.ndarray


def grabcut(
    bgr: np.ndarray,
    labels: np.ndarray,
    iterations: int,
    measure: bool = False,
    span: tuple[int, int, int, int] | None = None,
) -> GrabCut:
    """cv2.grabCut of ``labels`` (GC_* values) on ``bgr``, seeded (the same input gives the same
    labels), with ``measure`` its energy, and with ``span`` (x0, y0, x1, y1: a box, end exclusive)
    held to the box's tightness prior (``pin_sweep_lines``). Labels with no possible object or no
    possible background come back as they are, with no energy."""
    fg = (labels == _FG) | (labels == _PR_FG)
    if not fg.any() or fg.all():
        return GrabCut(labels, None, labels)
    # cv::theRNG() is per thread and anything may have drawn from it: seed it here, in the thread
    # that runs GrabCut, or the same clicks give another mask (test_opencv_determinism.py).
    cv2.setRNGSeed(12345)
    result = labels.copy()
    bgd_model = np.zeros((1, 65), np.float64)
    fgd_model = np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(bgr, result, None, bgd_model, fgd_model, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        # Too few samples for a colour model (a tiny region): keep the initial labels.
        return GrabCut(labels, None, labels)
    pinned = result if span is None else pin_sweep_lines(bgr, result, span, bgd_model, fgd_model)
    return GrabCut(pinned, energy(bgr, pinned, bgd_model, fgd_model) if measure else None, result)


def pin_sweep_lines(
    bgr: np.ndarray, result: np.ndarray, span: tuple[int, int, int, int], bgd_model: np.ndarray, fgd_model: np.ndarray
) -> np.ndarray:
    """GrabCut's ``result`` held to the tightness prior of the box ``span``: on each of its rows and
    columns that the object misses, the pixel nearest the object whose colour the object's model
    likes better than the background's (log-likelihood ratio > 0, smoothed over 5x5) becomes sure
    object, and the cut is solved again under the same colour models (GC_EVAL_FREEZE_MODEL, one
    iteration). A pin joins the object where colours and edges let it, and stays a speck (which
    the mask's clean-up drops) where they do not; a line with no such pixel stays as it is. One
    round, not Lempitsky's iterations: further rounds changed no mask measured."""
    x0, y0, x1, y1 = span
    if x1 - x0 < 3 or y1 - y0 < 3:
        return result
    inside = ((result == _FG) | (result == _PR_FG))[y0:y1, x0:x1]
    rows = np.flatnonzero(~inside.any(axis=1))
    cols = np.flatnonzero(~inside.any(axis=0))
    if not inside.any() or (not len(rows) and not len(cols)):
        return result
    pixels = bgr[y0:y1, x0:x1].astype(np.float64).reshape(-1, 3)
    ratio = (_neg_log_likelihood(pixels, bgd_model) - _neg_log_likelihood(pixels, fgd_model)).reshape(inside.shape)
    ratio = cv2.GaussianBlur(ratio, (5, 5), 0)
    distance = cv2.distanceTransform((~inside).astype(np.uint8), cv2.DIST_L2, 3)
    score = np.where(ratio > 0, -distance, -np.inf)
    labels = result.copy()
    pinned = 0
    for r in rows:
        if np.isfinite(score[r]).any():
            labels[y0 + r, x0 + int(np.argmax(score[r]))] = _FG
            pinned += 1
    for c in cols:
        if np.isfinite(score[:, c]).any():
            labels[y0 + int(np.argmax(score[:, c])), x0 + c] = _FG
            pinned += 1
    if not pinned:
        return result
    try:
        cv2.grabCut(bgr, labels, None, bgd_model, fgd_model, 1, cv2.GC_EVAL_FREEZE_MODEL)
    except cv2.error:
        return result
    return labels


def energy(bgr: np.ndarray, result: np.ndarray, bgd_model: np.ndarray, fgd_model: np.ndarray) -> float:
    """GrabCut's energy of the labelling ``result`` under the colour models it ended with (OpenCV's
    1x65 layout: weights, means, covariances), with OpenCV's boundary term (8 neighbours, diagonals
    weighted 1/sqrt(2), beta from the image's mean squared colour step)."""
    image = bgr.astype(np.float64)
    fg = (result == _FG) | (result == _PR_FG)
    pixels = image.reshape(-1, 3)
    data = float(
        np.where(fg.ravel(), _neg_log_likelihood(pixels, fgd_model), _neg_log_likelihood(pixels, bgd_model)).sum()
    )
    pairs = (
        ((slice(None), slice(1, None)), (slice(None), slice(None, -1)), 1.0),
        ((slice(1, None), slice(None)), (slice(None, -1), slice(None)), 1.0),
        ((slice(1, None), slice(1, None)), (slice(None, -1), slice(None, -1)), 2**-0.5),
        ((slice(1, None), slice(None, -1)), (slice(None, -1), slice(1, None)), 2**-0.5),
    )
    steps = []
    for a, b, _ in pairs:
        d = image[a] - image[b]
        steps.append(np.einsum("ijk,ijk->ij", d, d))
    mean_step = sum(float(s.sum()) for s in steps) / sum(s.size for s in steps)
    beta = 0.0 if mean_step <= np.finfo(np.float64).eps else 1.0 / (2.0 * mean_step)
    boundary = 0.0
    for (a, b, weight), step in zip(pairs, steps, strict=True):
        cut = fg[a] != fg[b]
        boundary += _GAMMA * weight * float(np.exp(-beta * step[cut]).sum())
    return data + boundary


def _neg_log_likelihood(pixels: np.ndarray, model: np.ndarray) -> np.ndarray:
    """-log of a five-Gaussian mixture's density at each pixel, as GrabCut's data term has it (the
    constant (2 pi)^(3/2) left out, as OpenCV does)."""
    weights = model[0, :_COMPONENTS]
    means = model[0, _COMPONENTS : 4 * _COMPONENTS].reshape(_COMPONENTS, 3)
    covariances = model[0, 4 * _COMPONENTS :].reshape(_COMPONENTS, 3, 3)
    density = np.zeros(len(pixels))
    for k in range(_COMPONENTS):
        if weights[k] <= 0:
            continue
        det = float(np.linalg.det(covariances[k]))
        if det <= 0:
            continue
        d = pixels - means[k]
        distance = np.einsum("ij,jk,ik->i", d, np.linalg.inv(covariances[k]), d)
        density += weights[k] / np.sqrt(det) * np.exp(-0.5 * distance)
    return -np.log(np.maximum(density, 1e-300))
