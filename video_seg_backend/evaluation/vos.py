"""Video object segmentation scoring: DAVIS semi-supervised J, F and J&F per object and sequence.

Follows the official davis2017-evaluation protocol:

- the objects are the ids present in the first ground-truth frame;
- the first and the last frame are not scored (the first is given to the method, the last has
  no successor in some sequences); sequences shorter than 3 frames are scored on every frame,
  where the official code would return NaN, and say so;
- void (255) pixels count as background, which is what the official code ends up doing (it
  replaces 255 by 0 before computing its void masks). ``ignore_void=True`` leaves them out of J
  and F instead, the convention of the DAVIS paper;
- J&F of a set of objects is the mean of the per-object J means and F means.

Predictions are given as tracks, ``{track id: {frame index: mask}}``; a frame without a mask is
an empty mask. Track ids equal ground-truth ids for DAVIS PNG results; tracks from the studio
(API, YouTube-VIS) have their own ids and are matched to the ground truth by mean IoU.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

import numpy as np
from numpy.typing import NDArray

from video_seg_backend.evaluation.io import VOID_LABEL, DavisSequence
from video_seg_backend.evaluation.metrics import db_statistics, f_measure, jaccard

__all__ = [
    "ObjectScore",
    "Tracks",
    "evaluate_sequence",
    "labels_to_tracks",
    "match_tracks",
    "scored_frames",
    "summarize",
]

Tracks = Mapping[int, Mapping[int, NDArray[np.bool_]]]


@dataclass
class ObjectScore:
    """One ground-truth object's scores in one sequence."""

    sequence: str
    object_id: int
    track_id: int | None
    frames: list[int]
    j_per_frame: list[float] = field(repr=False)
    f_per_frame: list[float] = field(repr=False)
    j_mean: float = 0.0
    j_recall: float = 0.0
    j_decay: float = 0.0
    f_mean: float = 0.0
    f_recall: float = 0.0
    f_decay: float = 0.0
    missing_frames: int = 0

    @property
    def jf_mean(self) -> float:
        return (self.j_mean + self.f_mean) / 2

    def to_dict(self, per_frame: bool = False) -> dict:
        data = asdict(self)
        data["jf_mean"] = self.jf_mean
        if not per_frame:
            for key in ("frames", "j_per_frame", "f_per_frame"):
                data.pop(key)
        return data


def scored_frames(num_frames: int, skip_first_last: bool = True) -> list[int]:
    """The frame indices DAVIS semi-supervised scores: all but the first and the last."""
    if skip_first_last and num_frames >= 3:
        return list(range(1, num_frames - 1))
    return list(range(num_frames))


def labels_to_tracks(labels: NDArray[np.uint8], frame_indices: Iterable[int] | None = None) -> dict:
    """A (frames, height, width) label volume as tracks ``{id: {frame: mask}}`` (void dropped)."""
    indices = list(range(labels.shape[0])) if frame_indices is None else list(frame_indices)
    tracks: dict[int, dict[int, NDArray[np.bool_]]] = {}
    for position, frame_index in enumerate(indices):
        frame = labels[position]
        for value in np.unique(frame):
            if value in (0, VOID_LABEL):
                continue
            tracks.setdefault(int(value), {})[frame_index] = frame == value
    return tracks


def _mask_or_empty(track: Mapping[int, NDArray[np.bool_]], frame: int, shape: tuple[int, int]) -> NDArray:
    mask = track.get(frame)
    if mask is None:
        return np.zeros(shape, dtype=bool)
    if mask.shape != shape:
        raise ValueError(
            f"predicted mask for frame {frame} is {mask.shape[1]}x{mask.shape[0]} but the ground truth "
            f"is {shape[1]}x{shape[0]}: export the masks at the video's size"
        )
    return mask


def match_tracks(gt: DavisSequence, tracks: Tracks, frames: list[int] | None = None) -> dict[int, int]:
    """Pair ground-truth objects with predicted tracks, maximising the summed mean IoU.

    Exhaustive for up to 7 objects (what a studio session holds), greedy beyond. Objects with no
    overlapping track are left unmatched (they then score as empty predictions).
    """
    frames = scored_frames(gt.num_frames, False) if frames is None else frames
    gt_ids = gt.object_ids()
    track_ids = list(tracks)
    if not gt_ids or not track_ids:
        return {}
    scores = np.zeros((len(gt_ids), len(track_ids)))
    for a, gt_id in enumerate(gt_ids):
        for b, track_id in enumerate(track_ids):
            values = [jaccard(_mask_or_empty(tracks[track_id], f, gt.shape), gt.labels[f] == gt_id) for f in frames]
            scores[a, b] = float(np.mean(values))
    pairs: list[tuple[int, int]] = []
    if len(gt_ids) <= 7 and len(track_ids) <= 7:
        best = -1.0
        n = min(len(gt_ids), len(track_ids))
        for rows in itertools.permutations(range(len(gt_ids)), n):
            for cols in itertools.permutations(range(len(track_ids)), n):
                total = float(sum(scores[r, c] for r, c in zip(rows, cols, strict=True)))
                if total > best:
                    best, pairs = total, list(zip(rows, cols, strict=True))
            if len(gt_ids) == n:
                break  # every permutation of the columns was tried against one ordering of the rows
    else:
        used_rows: set[int] = set()
        used_cols: set[int] = set()
        for flat in np.argsort(-scores, axis=None):
            r, c = np.unravel_index(int(flat), scores.shape)
            if r not in used_rows and c not in used_cols:
                pairs.append((int(r), int(c)))
                used_rows.add(int(r))
                used_cols.add(int(c))
    return {gt_ids[r]: track_ids[c] for r, c in pairs if scores[r, c] > 0}


def evaluate_sequence(
    gt: DavisSequence,
    tracks: Tracks,
    *,
    mapping: Mapping[int, int] | None = None,
    skip_first_last: bool = True,
    ignore_void: bool = False,
    bound_th: float = 0.008,
) -> list[ObjectScore]:
    """Score every ground-truth object of ``gt`` against its track.

    ``mapping`` gives the track id of each ground-truth object id; by default the ids are the same
    (DAVIS results). Frames a track has no mask for are scored as empty masks and counted in
    ``missing_frames``.
    """
    frames = scored_frames(gt.num_frames, skip_first_last)
    results = []
    for object_id in gt.object_ids():
        track_id = (mapping or {}).get(object_id) if mapping is not None else object_id
        track = tracks.get(track_id, {}) if track_id is not None else {}
        j_values, f_values, missing = [], [], 0
        for frame in frames:
            gt_mask = gt.labels[frame] == object_id
            void = (gt.labels[frame] == VOID_LABEL) if ignore_void else None
            if frame not in track:
                missing += 1
            pred = _mask_or_empty(track, frame, gt.shape)
            j_values.append(jaccard(pred, gt_mask, void))
            f_values.append(f_measure(pred, gt_mask, bound_th=bound_th, void=void))
        j_stats = db_statistics(j_values)
        f_stats = db_statistics(f_values)
        results.append(
            ObjectScore(
                sequence=gt.name,
                object_id=object_id,
                track_id=track_id if track_id in tracks else None,
                frames=frames,
                j_per_frame=j_values,
                f_per_frame=f_values,
                j_mean=j_stats[0],
                j_recall=j_stats[1],
                j_decay=j_stats[2],
                f_mean=f_stats[0],
                f_recall=f_stats[1],
                f_decay=f_stats[2],
                missing_frames=missing,
            )
        )
    return results


def summarize(scores: Iterable[ObjectScore]) -> dict[str, float]:
    """Global DAVIS figures over objects: J&F-Mean and J/F mean, recall, decay (official averaging)."""
    scores = list(scores)
    if not scores:
        return {}
    keys = ("j_mean", "j_recall", "j_decay", "f_mean", "f_recall", "f_decay")
    out = {key: float(np.mean([getattr(s, key) for s in scores])) for key in keys}
    out["jf_mean"] = (out["j_mean"] + out["f_mean"]) / 2
    out["objects"] = len(scores)
    return out
