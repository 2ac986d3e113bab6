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
"""

from __future__ import annotations

import cv2
import numpy as np

_FG, _PR_FG = cv2.GC_FGD, cv2.GC_PR_FGD
_GAMMA = 50.0  # OpenCV's weight of the boundary term
_COMPONENTS = 5  # Gaussians per colour model


def grabcut(
    bgr: np.ndarray, labels: np.ndarray, iterations: int, measure: bool = False
) -> tuple[np.ndarray, float | None]:
    """cv2.grabCut of ``labels`` (GC_* values) on ``bgr``, seeded (the same input gives the same
    labels), and with ``measure`` its energy (else None). Labels with no possible object or no
    possible background come back as they are, with no energy."""
    fg = (labels == _FG) | (labels == _PR_FG)
    if not fg.any() or fg.all():
        return labels, None
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
        return labels, None
    return result, energy(bgr, result, bgd_model, fgd_model) if measure else None


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
