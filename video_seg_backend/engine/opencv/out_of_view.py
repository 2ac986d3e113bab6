"""Whether a tracked object has left the frame.

Colour and flow only see what is in the frame: as an overtaking car leaves it, what is left of its
mask at the edge is taken over by whatever there has its colours (a white barrier), which is then
tracked for as long as the video lasts. The object's own motion says where it went: points of its
key frame's mask, carried frame after frame by the motion the tracker fits to the object
(tracking.py), are followed beyond the frame's edges. When all but a few of them, and their
centre, lie outside the frame, the object has left it.
"""

from __future__ import annotations

import numpy as np

# Points followed per object: a share of them is all that is asked, ~10 us a frame.
_POINTS = 256


class CarriedPoints:
    """Points of an object's mask, moved by its motion, kept wherever they go."""

    def __init__(self, hard: np.ndarray) -> None:
        ys, xs = np.nonzero(hard)
        step = max(1, len(xs) // _POINTS)
        self.points = np.stack([xs[::step], ys[::step]], axis=1).astype(np.float32)

    def carry(self, motion: np.ndarray) -> None:
        """Move the points by ``motion`` (2x3, previous frame -> this one)."""
        self.points = self.points @ motion[:, :2].T + motion[:, 2]

    def inside_share(self, size: tuple[int, int]) -> float:
        """The share of the points inside a frame of ``size`` (width, height)."""
        if len(self.points) == 0:
            return 1.0
        width, height = size
        x, y = self.points[:, 0], self.points[:, 1]
        return float(((x >= 0) & (x < width) & (y >= 0) & (y < height)).mean())

    def left(self, size: tuple[int, int], share: float) -> bool:
        """Whether fewer than ``share`` of the points, and not their centre, are inside the frame."""
        if share <= 0 or len(self.points) == 0:
            return False
        width, height = size
        cx, cy = self.points.mean(axis=0)
        return self.inside_share(size) < share and not (0 <= cx < width and 0 <= cy < height)


def touches_edge(hard: np.ndarray, margin: int = 2) -> bool:
    """Whether the mask reaches within ``margin`` pixels of the frame's edge: an object leaving the
    view crosses it, so a mask away from the edges holds the object in view, whatever the points
    say (their motion is fitted frame by frame and its errors add up)."""
    return bool(hard[:margin].any() or hard[-margin:].any() or hard[:, :margin].any() or hard[:, -margin:].any())
