"""Consensus figures on small synthetic masks, against values computed by hand and against the
krippendorff package's alpha."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from video_seg_backend.consensus.agreement import ReplicaObject, agreement, video_iou
from video_seg_backend.evaluation.metrics import f_measure

SHAPE = (10, 10)


def box(r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    m = np.zeros(SHAPE, bool)
    m[r0:r1, c0:c1] = True
    return m


def test_a_pair_is_matched_by_video_iou_and_an_extra_object_counts_against_it() -> None:
    a1 = ReplicaObject(1, "cat", {0: box(0, 5, 0, 5), 1: box(0, 5, 0, 5)})  # 25 px on both frames
    b1 = ReplicaObject(11, "cat", {0: box(0, 5, 0, 2), 1: box(0, 5, 0, 5)})  # 10 px, then the same 25
    b2 = ReplicaObject(12, "dog", {0: box(7, 10, 7, 10)})  # only annotator 2 saw it
    # IoU over the video: (10 + 25) / (25 + 25).
    assert video_iou(a1, b1) == pytest.approx(0.7)
    result = agreement({1: [a1], 2: [b1, b2]}, num_frames=2, shape=SHAPE)
    (pair,) = result.pairs
    assert pair.matches == [(1, 11, pytest.approx(0.7))]
    assert pair.unmatched_a == [] and pair.unmatched_b == [12]
    assert pair.mean_j == pytest.approx((10 / 25 + 1.0) / 2)  # per-frame J: 0.4 and 1.0
    assert pair.mean_f == pytest.approx((f_measure(box(0, 5, 0, 5), box(0, 5, 0, 2)) + 1.0) / 2)
    assert pair.mean_f is not None and pair.mean_f < 1.0
    # The matched object's J, over the mean object count (1 and 2): the unmatched dog scores 0.
    assert pair.score == pytest.approx(0.7 / 1.5)
    # Labels: the one matched object is "cat" for both; the dog has no second opinion to pair.
    assert result.label_alpha is None
    assert result.clusters == [{1: 1, 2: 11}]


def test_label_agreement_is_krippendorffs_alpha_as_computed_by_hand() -> None:
    # Three annotators, four objects at distinct places, drawn alike, labelled:
    # (a, a, a), (a, a, b), (b, b, b), (a, b, b). By hand (nominal alpha): the coincidences are
    # o_aa = 4, o_bb = 4, o_ab = o_ba = 2 of n = 12, so D_o = 4/12, D_e = 2*6*6 / (12*11) = 6/11,
    # alpha = 1 - (1/3) / (6/11) = 7/18.
    labels = [("a", "a", "a"), ("a", "a", "b"), ("b", "b", "b"), ("a", "b", "b")]
    places = [box(0, 2, 0, 2), box(0, 2, 5, 7), box(5, 7, 0, 2), box(5, 7, 5, 7)]
    replicas = {
        annotator: [ReplicaObject(annotator * 10 + u, labels[u][annotator], {0: places[u]}) for u in range(len(places))]
        for annotator in range(3)
    }
    result = agreement(replicas, num_frames=1, shape=SHAPE)
    assert result.label_alpha == pytest.approx(7 / 18)
    assert len(result.clusters) == 4 and all(p.mean_j == 1.0 and p.score == 1.0 for p in result.pairs)
    # Everyone drew every object on the one frame: no variation in presence, so no alpha to give.
    assert result.presence_alpha is None


def test_presence_agreement_by_hand_and_against_the_package() -> None:
    # One object, four frames: annotator 1 draws it on frames 0-2, annotator 2 on 0, 1 and 3.
    # By hand: o_11 = 4, o_10 = o_01 = 2, o_00 = 0, n = 8; D_o = 4/8, D_e = 2*6*2 / (8*7) = 3/7,
    # alpha = 1 - (1/2) / (3/7) = -1/6 (worse than chance).
    m = box(2, 6, 2, 6)
    one = ReplicaObject(1, "cell", {0: m, 1: m, 2: m})
    two = ReplicaObject(2, "cell", {0: m, 1: m, 3: m})
    result = agreement({1: [one], 2: [two]}, num_frames=4, shape=SHAPE)
    assert result.presence_alpha == pytest.approx(-1 / 6)
    package = krippendorff.alpha(reliability_data=[[1, 1, 1, 0], [1, 1, 0, 1]], level_of_measurement="nominal")
    assert result.presence_alpha == pytest.approx(package)
    (pair,) = result.pairs
    assert pair.matches[0][2] == pytest.approx(0.5)  # 2 frames shared of 4 covered
    assert pair.mean_j == pytest.approx(0.5) and pair.score == pytest.approx(0.5)


def test_disjoint_replicas_match_nothing_and_score_zero() -> None:
    result = agreement(
        {1: [ReplicaObject(1, "x", {0: box(0, 3, 0, 3)})], 2: [ReplicaObject(2, "x", {0: box(6, 9, 6, 9)})]},
        num_frames=1,
        shape=SHAPE,
    )
    (pair,) = result.pairs
    assert pair.matches == [] and pair.unmatched_a == [1] and pair.unmatched_b == [2]
    assert pair.mean_j is None and pair.score == 0.0 and result.score == 0.0
