"""DAVIS J and F, db_statistics and the simulated clicker on masks with known answers."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from video_seg_backend.evaluation import db_statistics, dice, f_measure, jaccard, mask_box, next_click
from video_seg_backend.evaluation.metrics import disk, seg2bmap


def square(top: int, left: int, size: int = 40, shape: tuple[int, int] = (100, 100)) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask[top : top + size, left : left + size] = True
    return mask


def test_identical_masks_score_one() -> None:
    gt = square(20, 20)
    assert jaccard(gt, gt) == 1.0
    assert f_measure(gt, gt) == 1.0
    assert dice(gt, gt) == 1.0


def test_disjoint_masks_score_zero() -> None:
    gt, pred = square(0, 0, 30), square(60, 60, 30)
    assert jaccard(pred, gt) == 0.0
    assert f_measure(pred, gt) == 0.0
    assert dice(pred, gt) == 0.0


def test_both_empty_is_perfect_and_one_empty_is_zero() -> None:
    empty = np.zeros((50, 60), bool)
    assert jaccard(empty, empty) == 1.0 and f_measure(empty, empty) == 1.0
    assert jaccard(empty, square(5, 5, 10, (50, 60))) == 0.0
    assert f_measure(empty, square(5, 5, 10, (50, 60))) == 0.0


def test_shifted_square_by_hand() -> None:
    # 40x40 square moved 10 px right: overlap 40x30 = 1200 px, union 2000 px -> J = 0.6.
    gt, pred = square(20, 20), square(20, 30)
    assert jaccard(pred, gt) == pytest.approx(0.6)
    assert dice(pred, gt) == pytest.approx(0.75)
    # F: tolerance ceil(0.008 * hypot(100, 100)) = 2 px. Each boundary (seg2bmap) is the outline
    # of a 41x41 square, 160 px. A GT boundary pixel is matched when a predicted one lies within
    # 2 px: left side 0 of 41, right side 6 of 41 (rows 19-21 and 57-59, near the predicted top and
    # bottom edges), top and bottom 32 of 39 each (columns 27-58). 70/160 both ways -> F = 0.4375.
    assert np.count_nonzero(seg2bmap(gt)) == 160
    assert f_measure(pred, gt) == pytest.approx(70 / 160)


def test_boundary_tolerance_absolute_pixels() -> None:
    gt, pred = square(20, 20), square(20, 23)
    assert f_measure(pred, gt, bound_th=3) == 1.0  # a 3 px shift is inside a 3 px tolerance
    assert f_measure(pred, gt, bound_th=1) < 1.0


def test_void_pixels_are_left_out() -> None:
    gt, pred = square(20, 20), square(20, 30)
    void = np.zeros_like(gt)
    void[:, 20:30] = True
    void[:, 60:70] = True
    assert jaccard(pred, gt, void) == 1.0
    assert jaccard(pred, gt) < 1.0


def test_disk_matches_its_definition() -> None:
    for radius in (1, 2, 5, 8):
        kernel = disk(radius)
        yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
        assert np.array_equal(kernel.astype(bool), xx**2 + yy**2 <= radius**2)


def _f_by_distances(pred: np.ndarray, gt: np.ndarray, radius: float) -> float:
    """F from exact Euclidean distances between boundaries: an independent way to the same number."""

    def matched(src: np.ndarray, dst: np.ndarray) -> int:
        dist = cv2.distanceTransform((~dst).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
        return int(np.count_nonzero(src & (dist <= radius + 1e-6)))

    bp, bg = seg2bmap(pred), seg2bmap(gt)
    precision = matched(bp, bg) / np.count_nonzero(bp)
    recall = matched(bg, bp) / np.count_nonzero(bg)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def test_f_measure_agrees_with_exact_distances_on_random_blobs() -> None:
    rng = np.random.default_rng(0)
    shape = (120, 160)  # tolerance ceil(0.008 * 200) = 2 px
    for _ in range(20):
        gt = np.zeros(shape, np.uint8)
        pred = np.zeros(shape, np.uint8)
        for mask in (gt, pred):
            for _ in range(3):
                center = (int(rng.integers(20, 140)), int(rng.integers(20, 100)))
                cv2.circle(mask, center, int(rng.integers(5, 30)), 1, -1)
        expected = _f_by_distances(pred.astype(bool), gt.astype(bool), 2)
        assert f_measure(pred, gt) == pytest.approx(expected)


def test_db_statistics_by_hand() -> None:
    # 8 frames: DAVIS bins are frames 0-2, 2-4, 4-5, 5-7; decay = mean(bin 1) - mean(bin 4) = 1 - 0.
    mean, recall, decay = db_statistics([1, 1, 1, 1, 0, 0, 0, 0])
    assert (mean, recall, decay) == (0.5, 0.5, 1.0)
    mean, recall, decay = db_statistics([0.4, 0.6, 0.8, 1.0])
    assert mean == pytest.approx(0.7) and recall == 0.75 and decay == pytest.approx(0.5 - 0.9)
    assert db_statistics([0.9] * 300) == pytest.approx((0.9, 1.0, 0.0))  # > 256 frames: no wrap-around


def test_next_click_positive_at_centre_of_missed_area() -> None:
    gt = square(20, 20)
    x, y, positive = next_click(np.zeros_like(gt), gt)
    assert positive and 38 <= x <= 40 and 38 <= y <= 40


def test_next_click_negative_inside_false_area() -> None:
    gt = square(20, 20)
    pred = gt.copy()
    pred[70:90, 70:90] = True  # a wrongly added 20x20 blob, bigger than any missed area
    pred[20:22, 20:60] = False  # a thin missed strip along the top edge
    x, y, positive = next_click(pred, gt)
    assert not positive and 70 <= x < 90 and 70 <= y < 90


def test_next_click_none_when_masks_agree() -> None:
    gt = square(20, 20)
    assert next_click(gt, gt) is None
    void = np.zeros_like(gt)
    void[:, 60:70] = True
    assert next_click(square(20, 30) | gt, gt, void) is None


def test_mask_box_is_in_pixel_edges() -> None:
    mask = np.zeros((50, 80), bool)
    mask[10:13, 20:24] = True  # 3 rows, 4 columns
    mask[30, 5] = True
    assert mask_box(mask) == (5.0, 10.0, 24.0, 31.0)
    assert mask_box(np.zeros((5, 5), bool)) is None


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="different sizes"):
        jaccard(np.zeros((10, 10)), np.zeros((10, 12)))
