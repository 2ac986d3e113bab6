"""Carry keypoints from key frames through the frames between: pyramidal Lucas-Kanade, checked
forward-backward and against the object's mask; between two key frames each frame takes the track
from the nearer key frame (or, with ``blend``, both weighted by nearness), so it meets both exactly.

A point that fails the check (LK lost it, the way back misses the start, or it left the mask) is
dropped for the rest of that chain: "not labelled" (visibility 0) beats a point on the background.
Pure numpy/OpenCV on grey frames, deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from numpy.typing import NDArray

Points = NDArray[np.float32]  # (K, 2) x, y in source pixels
Vis = NDArray[np.int8]  # (K,) 0 not labelled, 1 occluded, 2 visible
GreyReader = Callable[[int], NDArray[np.uint8]]
MaskReader = Callable[[int], NDArray[np.bool_] | None]  # None: no mask on that frame, no constraint


@dataclass(frozen=True)
class TrackerSettings:
    win: int = 21  # LK window (px): larger follows fast motion, smears across thin parts
    levels: int = 3  # pyramid levels: each doubles the motion LK can follow
    # The three below were chosen two-fold on the DAVIS sequences (scripts/eval_keypoints.py): both
    # folds picked the same values.
    fb_max_px: float = 4.0  # forward-backward error allowed; lower drops more points, keeps fewer wrong ones
    mask_margin: float = 0.1  # how far outside the mask (of the object's size) a point may sit
    blend: bool = False  # between two key frames: blend both sides' tracks, or take the nearer side's


@dataclass
class KeyPoints:
    xy: Points
    vis: Vis


def object_size(mask: NDArray[np.bool_]) -> float:
    """sqrt of the mask's box area: the scale COCO's PCK-style thresholds use."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return 0.0
    return float(np.sqrt((xs.max() - xs.min() + 1) * (ys.max() - ys.min() + 1)))


class _Chain:
    """One direction of tracking from a key frame; ``step`` follows the live points one frame."""

    def __init__(self, settings: TrackerSettings, grey: GreyReader, masks: MaskReader, start: int, key: KeyPoints):
        self.s, self.grey, self.masks = settings, grey, masks
        self.frame = start
        self.xy = key.xy.astype(np.float32).copy()
        self.vis = key.vis.astype(np.int8).copy()
        self.alive = self.vis > 0

    def step(self, to: int) -> None:
        live = np.flatnonzero(self.alive)
        if live.size:
            prev, nxt = self.grey(self.frame), self.grey(to)
            p0 = self.xy[live].reshape(-1, 1, 2)
            p1, st1 = self._lk(prev, nxt, p0)
            back, st2 = self._lk(nxt, prev, p1)
            fb = np.linalg.norm((back - p0).reshape(-1, 2), axis=1)
            ok = (st1.ravel() == 1) & (st2.ravel() == 1) & (fb <= self.s.fb_max_px)
            p1 = p1.reshape(-1, 2)
            h, w = nxt.shape[:2]
            ok &= (p1[:, 0] >= 0) & (p1[:, 0] <= w - 1) & (p1[:, 1] >= 0) & (p1[:, 1] <= h - 1)
            ok &= self._inside_mask(to, p1)
            self.xy[live] = p1
            self.alive[live] = ok
        self.frame = to

    def _lk(self, a: NDArray[np.uint8], b: NDArray[np.uint8], pts: Points) -> tuple[Points, NDArray[np.uint8]]:
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)
        moved, status, _ = cv2.calcOpticalFlowPyrLK(
            a, b, pts, None, winSize=(self.s.win, self.s.win), maxLevel=self.s.levels, criteria=criteria
        )
        return moved.astype(np.float32), status

    def _inside_mask(self, frame: int, xy: Points) -> NDArray[np.bool_]:
        mask = self.masks(frame)
        if mask is None:
            return np.ones(len(xy), dtype=bool)
        if not mask.any():  # the object is gone from this frame: so are its points
            return np.zeros(len(xy), dtype=bool)
        # Distance of each pixel to the mask; a point may sit a little outside (an edge point).
        outside = cv2.distanceTransform((~mask).astype(np.uint8), cv2.DIST_L2, 3)
        xi = np.clip(np.rint(xy[:, 0]).astype(int), 0, mask.shape[1] - 1)
        yi = np.clip(np.rint(xy[:, 1]).astype(int), 0, mask.shape[0] - 1)
        return outside[yi, xi] <= max(1.0, self.s.mask_margin * object_size(mask))

    def current(self) -> KeyPoints:
        return KeyPoints(self.xy.copy(), np.where(self.alive, self.vis, 0).astype(np.int8))


def _run(chain: _Chain, frames: range) -> dict[int, KeyPoints]:
    out: dict[int, KeyPoints] = {}
    for f in frames:
        chain.step(f)
        out[f] = chain.current()
    return out


def track_keypoints(
    grey: GreyReader,
    masks: MaskReader,
    keys: dict[int, KeyPoints],
    first: int,
    last: int,
    settings: TrackerSettings | None = None,
) -> Iterator[tuple[int, KeyPoints]]:
    """Yield (frame, points) for every frame of first..last that is not a key frame, in order of the
    spans between key frames. Key frames outside first..last still anchor the frames inside."""
    s = settings or TrackerSettings()
    cached = lru_cache(maxsize=128)(grey)  # the two sides of a span read the same frames
    order = sorted(keys)
    if not order:
        return
    # Before the first key frame and after the last: one side only.
    if first < order[0]:
        back = _run(_Chain(s, cached, masks, order[0], keys[order[0]]), range(order[0] - 1, first - 1, -1))
        yield from sorted(back.items())
    for a, b in zip(order, order[1:], strict=False):
        lo, hi = max(a + 1, first), min(b - 1, last)
        if lo > hi:
            continue
        fwd = _run(_Chain(s, cached, masks, a, keys[a]), range(a + 1, hi + 1))
        bwd = _run(_Chain(s, cached, masks, b, keys[b]), range(b - 1, lo - 1, -1))
        for f in range(lo, hi + 1):
            yield f, _combine(fwd[f], bwd[f], (f - a) / (b - a), s.blend)
    if last > order[-1]:
        yield from _run(_Chain(s, cached, masks, order[-1], keys[order[-1]]), range(order[-1] + 1, last + 1)).items()


def _combine(fwd: KeyPoints, bwd: KeyPoints, w: float, blend: bool) -> KeyPoints:
    """Per point: both sides alive, a blend weighted by nearness (or the nearer side); else the live one."""
    f_ok, b_ok = fwd.vis > 0, bwd.vis > 0
    both = f_ok & b_ok
    near_b = w > 0.5
    xy = np.where(f_ok[:, None], fwd.xy, bwd.xy)
    if blend:
        xy[both] = (1 - w) * fwd.xy[both] + w * bwd.xy[both]
    else:
        xy[both & near_b] = bwd.xy[both & near_b]
    vis = np.where(both, np.where(near_b, bwd.vis, fwd.vis), np.where(f_ok, fwd.vis, bwd.vis))
    return KeyPoints(xy.astype(np.float32), vis.astype(np.int8))
