"""Keypoint tracking measured against points taken from true masks (DAVIS has no keypoints).

Ground truth per frame, from that frame's true mask alone: the four extremal points (top, bottom,
left, right: the middle pixel of the mask's outermost row or column, as DEXTR's extreme points)
and the core (the pixel farthest inside the mask: the middle of the distance transform's ridge). These are
named points a person could place on any object, each defined on every frame by the mask, so the
truth follows the object however it moves. They slide along the outline when the object turns,
which a texture tracker does not follow: the figures are a strict measure, comparable between
settings, not a claim about COCO person keypoints.

PCK@0.05: a point is correct when it is labelled (visibility > 0) and within 5% of the object's
size (sqrt of the true mask's box area on that frame) of the truth; a dropped point is a miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from video_seg_backend.keypoints.tracker import KeyPoints, TrackerSettings, object_size, track_keypoints

POINT_NAMES = ("top", "bottom", "left", "right", "core")
PCK_ALPHA = 0.05


def truth_points(mask: NDArray[np.bool_]) -> KeyPoints:
    """The five named points of a true mask (all "not labelled" when the mask is empty)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return KeyPoints(np.zeros((5, 2), np.float32), np.zeros(5, np.int8))

    def middle(values: NDArray[np.intp]) -> float:
        return float(np.sort(values)[len(values) // 2])

    top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
    inside = cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 5)[1:-1, 1:-1]
    # The deepest pixels form a ridge on elongated shapes: take the one nearest the ridge's centre.
    ry, rx = np.nonzero(inside >= inside.max() - 1)
    pick = int(np.argmin((rx - rx.mean()) ** 2 + (ry - ry.mean()) ** 2))
    cx, cy = rx[pick], ry[pick]
    xy = [
        (middle(xs[ys == top]), top),
        (middle(xs[ys == bottom]), bottom),
        (left, middle(ys[xs == left])),
        (right, middle(ys[xs == right])),
        (cx, cy),
    ]
    return KeyPoints(np.array(xy, np.float32), np.full(5, 2, np.int8))


@dataclass
class PckCounts:
    correct: int = 0
    kept: int = 0  # points the tracker labelled
    kept_correct: int = 0
    total: int = 0  # true points (visible in the truth) on the scored frames

    def add(self, other: PckCounts) -> None:
        self.correct += other.correct
        self.kept += other.kept
        self.kept_correct += other.kept_correct
        self.total += other.total

    @property
    def pck(self) -> float:
        return self.correct / self.total if self.total else float("nan")

    @property
    def precision(self) -> float:
        """Of the points the tracker kept, how many are right: what "not labelled" buys."""
        return self.kept_correct / self.kept if self.kept else float("nan")

    @property
    def kept_share(self) -> float:
        return self.kept / self.total if self.total else float("nan")


def score_frame(pred: KeyPoints, truth: KeyPoints, size: float) -> PckCounts:
    visible = truth.vis > 0
    kept = (pred.vis > 0) & visible
    near = np.linalg.norm(pred.xy - truth.xy, axis=1) <= PCK_ALPHA * size
    correct = int((kept & near).sum())
    return PckCounts(correct=correct, kept=int(kept.sum()), kept_correct=correct, total=int(visible.sum()))


def interpolate_only(keys: dict[int, KeyPoints], num_frames: int) -> dict[int, KeyPoints]:
    """The baseline without images: linear between key frames, held before the first and after the last."""
    order = sorted(keys)
    out: dict[int, KeyPoints] = {}
    for f in range(num_frames):
        if f in keys:
            continue
        before = [k for k in order if k < f]
        after = [k for k in order if k > f]
        if before and after:
            a, b = before[-1], after[0]
            w = (f - a) / (b - a)
            both = (keys[a].vis > 0) & (keys[b].vis > 0)
            xy = (1 - w) * keys[a].xy + w * keys[b].xy
            out[f] = KeyPoints(xy.astype(np.float32), np.where(both, 2, 0).astype(np.int8))
        else:
            held = keys[before[-1] if before else after[0]]
            out[f] = KeyPoints(held.xy.copy(), held.vis.copy())
    return out


def evaluate_sequence(
    grey: Sequence[NDArray[np.uint8]],
    masks: Sequence[NDArray[np.bool_]],
    key_every: int | None,
    settings: TrackerSettings | None = None,
    method: str = "track",
) -> PckCounts:
    """PCK over the frames that are not key frames; keys at 0 only (``key_every`` None) or every N.
    The true masks stand for the object's tracked masks, so the figures isolate the point tracking."""
    n = len(grey)
    truths = [truth_points(m) for m in masks]
    key_frames = [0] if key_every is None else list(range(0, n, key_every))
    keys = {k: truths[k] for k in key_frames}
    if method == "track":
        pred = dict(track_keypoints(lambda i: grey[i], lambda i: masks[i], keys, 0, n - 1, settings))
    else:
        pred = interpolate_only(keys, n)
    counts = PckCounts()
    for f, points in pred.items():
        counts.add(score_frame(points, truths[f], object_size(masks[f])))
    return counts
