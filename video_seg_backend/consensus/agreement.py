"""Agreement of k annotators' replicas of one video: objects are matched across each pair by
mask IoU over the whole video (Hungarian matching), matched objects are scored by mean J and
boundary F, unmatched ones count as disagreement, and labels and per-frame presence get a
chance-corrected agreement (Krippendorff's alpha, nominal, from the ``krippendorff`` package).

Pure numpy: the database side is in ``replicas.py``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import krippendorff
import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from video_seg_backend.evaluation.metrics import f_measure, jaccard

# Two objects with less overlap than this over the video are different objects, not a poor match.
MATCH_MIN_IOU = 0.1


@dataclass
class ReplicaObject:
    """One annotator's object: its label and its mask on each frame that has one."""

    key: int  # the object id
    label: str
    masks: dict[int, NDArray[np.bool_]]


@dataclass
class PairAgreement:
    annotator_a: int
    annotator_b: int
    matches: list[tuple[int, int, float]]  # (object of a, object of b, video IoU)
    unmatched_a: list[int]
    unmatched_b: list[int]
    mean_j: float | None  # over matched objects; None when nothing matched
    mean_f: float | None
    # Matched objects' J summed, over the mean object count: an unmatched object scores 0.
    score: float


@dataclass
class ItemAgreement:
    annotators: list[int]
    pairs: list[PairAgreement]
    score: float  # mean of the pairs' scores
    label_alpha: float | None  # None: too little variation to say (e.g. one object, one label)
    presence_alpha: float | None
    clusters: list[dict[int, int]] = field(default_factory=list)  # annotator -> object, per matched object


def video_iou(a: ReplicaObject, b: ReplicaObject) -> float:
    """Intersection over union summed over all frames: one figure for the object's whole track."""
    inter = union = 0
    for frame in a.masks.keys() | b.masks.keys():
        ma, mb = a.masks.get(frame), b.masks.get(frame)
        if ma is None or mb is None:
            union += int((ma if ma is not None else mb).sum())  # type: ignore[union-attr]
            continue
        inter += int(np.logical_and(ma, mb).sum())
        union += int(np.logical_or(ma, mb).sum())
    return inter / union if union else 0.0


def _per_frame(a: ReplicaObject, b: ReplicaObject, num_frames: int, shape: tuple[int, int]) -> tuple[float, float]:
    """Mean J and boundary F over the video's frames (DAVIS: a frame empty in both scores 1)."""
    empty = np.zeros(shape, bool)
    js, fs = [], []
    for frame in range(num_frames):
        ma, mb = a.masks.get(frame, empty), b.masks.get(frame, empty)
        js.append(jaccard(ma, mb))
        fs.append(f_measure(ma, mb))
    return float(np.mean(js)), float(np.mean(fs))


def match_pair(
    a_id: int, a: list[ReplicaObject], b_id: int, b: list[ReplicaObject], num_frames: int, shape: tuple[int, int]
) -> PairAgreement:
    ious = np.array([[video_iou(x, y) for y in b] for x in a]) if a and b else np.zeros((len(a), len(b)))
    rows, cols = linear_sum_assignment(-ious) if ious.size else (np.array([], int), np.array([], int))
    matches = [
        (a[r].key, b[c].key, float(ious[r, c])) for r, c in zip(rows, cols, strict=True) if ious[r, c] >= MATCH_MIN_IOU
    ]
    matched_a = {m[0] for m in matches}
    matched_b = {m[1] for m in matches}
    by_key_a, by_key_b = {o.key: o for o in a}, {o.key: o for o in b}
    scores = [_per_frame(by_key_a[ka], by_key_b[kb], num_frames, shape) for ka, kb, _ in matches]
    mean_count = (len(a) + len(b)) / 2
    return PairAgreement(
        annotator_a=a_id,
        annotator_b=b_id,
        matches=matches,
        unmatched_a=[o.key for o in a if o.key not in matched_a],
        unmatched_b=[o.key for o in b if o.key not in matched_b],
        mean_j=float(np.mean([j for j, _ in scores])) if scores else None,
        mean_f=float(np.mean([f for _, f in scores])) if scores else None,
        score=sum(j for j, _ in scores) / mean_count if mean_count else 1.0,
    )


def clusters_of(annotators: list[int], pairs: list[PairAgreement]) -> list[dict[int, int]]:
    """The same physical object across replicas: the connected groups of pairwise matches (an
    annotator appears at most once per group; a second object of theirs starts its own)."""
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(node: tuple[int, int]) -> tuple[int, int]:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for pair in pairs:
        for ka, kb, _ in pair.matches:
            parent[find((pair.annotator_a, ka))] = find((pair.annotator_b, kb))
    groups: dict[tuple[int, int], dict[int, int]] = {}
    for node in list(parent):
        group = groups.setdefault(find(node), {})
        group.setdefault(node[0], node[1])
    order = {a: i for i, a in enumerate(annotators)}
    return sorted(groups.values(), key=lambda g: min((order[a], k) for a, k in g.items()))


def _alpha(data: NDArray[np.float64]) -> float | None:
    """Nominal alpha of an annotators x units matrix (NaN: no value); None when undefined."""
    values = data[~np.isnan(data)]
    if data.shape[1] == 0 or len(np.unique(values)) < 2:
        return None  # one value everywhere: no disagreement expected by chance to correct for
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))
    return None if np.isnan(alpha) else alpha  # NaN: no pairable disagreement to expect


def agreement(objects: dict[int, list[ReplicaObject]], num_frames: int, shape: tuple[int, int]) -> ItemAgreement:
    """Agreement of every pair of annotators and of all of them together."""
    annotators = sorted(objects)
    pairs = [
        match_pair(a, objects[a], b, objects[b], num_frames, shape) for a, b in itertools.combinations(annotators, 2)
    ]
    clusters = clusters_of(annotators, pairs)
    clustered = {(a, k) for c in clusters for a, k in c.items()}
    units = clusters + [{a: o.key} for a in annotators for o in objects[a] if (a, o.key) not in clustered]
    by_key = {(a, o.key): o for a in annotators for o in objects[a]}
    label_codes: dict[str, int] = {}
    labels = np.full((len(annotators), len(units)), np.nan)
    presence = np.zeros((len(annotators), len(units) * num_frames))
    for u, unit in enumerate(units):
        for i, a in enumerate(annotators):
            if a not in unit:
                continue  # no object here: no label (missing), and absent on every frame (0)
            obj = by_key[(a, unit[a])]
            labels[i, u] = label_codes.setdefault(obj.label, len(label_codes))
            for frame, mask in obj.masks.items():
                if 0 <= frame < num_frames and mask.any():
                    presence[i, u * num_frames + frame] = 1
    return ItemAgreement(
        annotators=annotators,
        pairs=pairs,
        score=float(np.mean([p.score for p in pairs])) if pairs else 1.0,
        label_alpha=_alpha(labels),
        presence_alpha=_alpha(presence),
        clusters=clusters,
    )
