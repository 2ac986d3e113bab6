"""Engine-independent cues of a tracked mask, measured against the frames around it.

A mask that is right changes little from one frame to the next: its area and shape jump when the
tracker slid onto background, lost a part or jumped to another object. Drift also grows with the
distance from the key frame tracking started at, and shows as an area far from the key frame's.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Shapes are compared on masks scaled down to this side: a cue, not a measurement, so ~0.1 ms.
_SHAPE_SIDE = 96


@dataclass(frozen=True)
class FrameCues:
    """What the track says about one object's mask on one frame (ratios in [0, 1], 1 = unchanged)."""

    engine: float | None  # the engine's own confidence, None when it has none
    area_ratio: float  # smaller over larger area, against the previous frame's mask
    shape_iou: float  # IoU with the previous frame's mask once both are centred on their centroids
    key_area_ratio: float  # smaller over larger area, against the key frame's mask
    key_distance: int  # frames from the frame tracking started at
    empty: bool  # no mask at all (the object left, is hidden, or was lost)


def _small(mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    step = max(1, int(np.ceil(max(h, w) / _SHAPE_SIDE)))
    return np.ascontiguousarray(mask[::step, ::step])


def _ratio(a: float, b: float) -> float:
    if a <= 0 and b <= 0:
        return 1.0
    return float(min(a, b) / max(a, b))


def _centred_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two small masks after moving ``b`` so that its centroid lies on ``a``'s."""
    if not a.any() or not b.any():
        return 1.0 if not a.any() and not b.any() else 0.0
    ya, xa = np.nonzero(a)
    yb, xb = np.nonzero(b)
    shift = np.array([[1, 0, xa.mean() - xb.mean()], [0, 1, ya.mean() - yb.mean()]], dtype=np.float32)
    moved = cv2.warpAffine(b.astype(np.uint8), shift, (a.shape[1], a.shape[0]), flags=cv2.INTER_NEAREST) > 0
    union = np.logical_or(a, moved).sum()
    return float(np.logical_and(a, moved).sum() / union) if union else 1.0


class TrackCues:
    """Follows one object along one tracking run and measures each new mask's cues."""

    def __init__(self, start_frame: int, start_mask: np.ndarray) -> None:
        self.start_frame = start_frame
        self.key_area = float(start_mask.sum())
        self.previous = _small(start_mask)
        self.previous_area = self.key_area

    def add(self, frame_index: int, mask: np.ndarray, engine: float | None) -> FrameCues:
        small = _small(mask)
        area = float(mask.sum())
        cues = FrameCues(
            engine=engine,
            area_ratio=_ratio(area, self.previous_area),
            shape_iou=_centred_iou(small, self.previous),
            key_area_ratio=_ratio(area, self.key_area),
            key_distance=abs(frame_index - self.start_frame),
            empty=area == 0,
        )
        self.previous, self.previous_area = small, area
        return cues
