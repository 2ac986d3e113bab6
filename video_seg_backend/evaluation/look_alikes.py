"""Scenes of two objects that look alike, with their truth on every frame.

Used by the tests and by ``scripts/eval_objects_apart.py`` to measure whether a tracker keeps two
objects of the same colours apart (engine/opencv/apart.py): no DAVIS sequence here has two.
Each scene is a list of RGB frames and, per frame, the true mask of object 1 (the moving block)
and object 2 (the still one, without what object 1 hides). Seeded: the same pixels every run.
"""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 360, 200
Scene = tuple[list[np.ndarray], list[dict[int, np.ndarray]]]


def block(rng: np.random.Generator, height: int, width: int, colour=(40, 40, 200)) -> np.ndarray:
    """A block of ``colour`` with a random texture on top."""
    return np.clip(np.array(colour) + rng.integers(0, 60, (height, width, 3)), 0, 255).astype(np.uint8)


def background(rng: np.random.Generator) -> np.ndarray:
    """Green-grey noise, new on every frame (sensor noise, not texture to follow)."""
    return (rng.integers(0, 40, (HEIGHT, WIDTH, 3)) + np.array([100, 120, 100])).astype(np.uint8)


def _scene(frames: int, moving, still_box, still: np.ndarray, moving_block: np.ndarray, rng) -> Scene:
    images, truths = [], []
    y0, y1, x0, x1 = still_box
    for t in range(frames):
        frame = background(rng)
        frame[y0:y1, x0:x1] = still
        b = np.zeros((HEIGHT, WIDTH), bool)
        b[y0:y1, x0:x1] = True
        my0, mx = moving(t)
        a = np.zeros((HEIGHT, WIDTH), bool)
        h, w = moving_block.shape[:2]
        visible = max(0, min(w, WIDTH - mx))
        a[my0 : my0 + h, mx : mx + visible] = True
        frame[my0 : my0 + h, mx : mx + visible] = moving_block[:, :visible]
        images.append(frame)
        truths.append({1: a, 2: b & ~a})
    return images, truths


def touching(frames: int = 30) -> Scene:
    """Two blocks of the same colours: object 1 slides right until it touches the still object 2
    (frames 12-18), waits, and slides back."""
    rng = np.random.default_rng(3)
    same = block(rng, 60, 50)
    return _scene(
        frames, lambda t: (70, 40 + 6 * min(t, 12) - 6 * max(0, t - 18)), (70, 130, 165, 215), same, same, rng
    )


def crossing(frames: int = 40) -> Scene:
    """Object 1 slides 7 px a frame in front of the still, taller object 2 of the same colours, and
    on past it."""
    rng = np.random.default_rng(3)
    front, back = block(rng, 60, 50), block(rng, 80, 60)
    return _scene(frames, lambda t: (80, 10 + 7 * t), (60, 140, 150, 210), back, front, rng)
