"""What moves unlike the background: a cue a box or a first click on a video frame has and a photo lacks.

GrabCut from a box keeps background the box encloses when its colours match the object's (the
fence behind a hockey player, grass under a dog's belly). In a video the object usually moves
unlike its surroundings: the camera follows it, or it crosses a still scene. Optical flow from the
box's frame to the next ones, less the motion of the ring around the box (one homography, fitted
with RANSAC: the background's motion under a moving camera), leaves the pixels that move on their
own. A box mask is then cut to what lies near them, unless the cut would lose most of it or what
it would lose has the colours of what it keeps rather than of the ring: an object that moves only
in part (a duck's wings) or not at all keeps GrabCut's mask.

The same motion brings back what GrabCut's smoothness cuts off a box's mask: thin details (a
tyre, a stick's shaft) that stand out from their surroundings, move on their own and touch the mask
(``_thin_parts``); the fence or the road markings behind them stand still. And what stands still
within a mask that mostly moves is no part of it (``_without_still``): a course sign in front of a
drifting car, red like the car, that the colour test keeps.

A first click has no box to say where the object ends: the part of the frame moving unlike the
whole frame (the camera's homography) that holds the click says it instead (``moving_part``).

A negative click on a still thing in front of a moving object (a sign before a drifting car, both
red) removes what the colours cannot: the still part of the mask it lands on (``StillGround``).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping, Sequence

import cv2
import numpy as np

from ..base import BoxPrompt, PointPrompt, Prompt
from .config import OpenCVConfig
from .histograms import similarity

# Ring points the homography is fitted to (a seeded sample: the same box gives the same cut).
_RING_SAMPLES = 4000

# The frame's motion against its next ``n`` frames and the speed above which a pixel moves on its
# own (``frame_motion``), or None without neighbours; the engine keeps it for the next click.
FrameMotion = Callable[[int], tuple[np.ndarray, float] | None]


def box_ring(shape: tuple[int, int], box: BoxPrompt) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the box and of the ring of background around it (a quarter of its longer side)."""
    height, width = shape
    x0, y0 = int(box.x0), int(box.y0)
    x1, y1 = int(np.ceil(box.x1)), int(np.ceil(box.y1))
    margin = int(0.25 * max(x1 - x0, y1 - y0)) + 8
    inside = np.zeros(shape, bool)
    inside[y0:y1, x0:x1] = True
    ring = np.zeros(shape, bool)
    ring[max(0, y0 - margin) : min(height, y1 + margin), max(0, x0 - margin) : min(width, x1 + margin)] = True
    ring &= ~inside
    return inside, ring


def own_motion(rgb: np.ndarray, neighbours: Sequence[tuple[int, np.ndarray]], ring: np.ndarray) -> np.ndarray:
    """Per pixel, how far it moves (pixels a frame) unlike the ring's homography, averaged over
    the ``neighbours`` (frame offset, RGB frame)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    picked = np.flatnonzero(ring)
    if len(picked) > _RING_SAMPLES:
        picked = np.random.default_rng(0).choice(picked, _RING_SAMPLES, replace=False)
    source = np.stack([xs.ravel()[picked], ys.ravel()[picked]], axis=1)
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)  # type: ignore[attr-defined]
    pixels = np.stack([xs, ys], axis=-1)
    homogeneous = np.stack([xs, ys, np.ones_like(xs)], axis=-1)
    total = np.zeros((height, width), np.float32)
    for offset, frame in neighbours:
        flow = dis.calc(gray, cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), None)
        homography = None
        if len(picked) >= 4:
            homography, _ = cv2.findHomography(source, source + flow.reshape(-1, 2)[picked], cv2.RANSAC, 1.0)
        if homography is None:
            homography = np.eye(3)
        mapped = homogeneous @ homography.T
        predicted = mapped[..., :2] / mapped[..., 2:3]
        total += np.linalg.norm(pixels + flow - predicted, axis=-1) / abs(offset)
    return total / max(1, len(neighbours))


def cut_to_motion(
    mask: np.ndarray,
    rgb: np.ndarray,
    box: BoxPrompt,
    neighbours: Sequence[tuple[int, np.ndarray]],
    config: OpenCVConfig,
) -> np.ndarray:
    """``mask`` (a box's GrabCut mask) less what lies away from the pixels in the box that move on
    their own, when the cut keeps at least ``box_motion_keep`` of it and what it drops looks like
    the background, and less what stands still in it (``_without_still``); then with the thin
    moving parts that touch it (``_thin_parts``)."""
    if not neighbours or not mask.any():
        return mask
    inside, ring = box_ring(mask.shape, box)
    if not ring.any():
        return mask
    motion = own_motion(rgb, neighbours, ring)
    # Moving: faster than nine in ten ring pixels (the background's own flow errors), and half a
    # pixel a frame at least (a still scene has no motion to go by).
    threshold = max(float(np.percentile(motion[ring], 90)), 0.5)
    moving = (motion > threshold) & inside
    cut = _cut(mask, rgb, moving, ring, config)
    cut = _without_still(cut, motion, moving, threshold, config)
    return _thin_parts(cut, rgb, moving, config)


def _without_still(
    mask: np.ndarray, motion: np.ndarray, moving: np.ndarray, threshold: float, config: OpenCVConfig
) -> np.ndarray:
    """``mask`` less what stands still in it (``motion`` below ``box_still_fraction`` of the
    moving ``threshold``; opened, so that specks of still flow inside the object stay), when most
    of it moves and the rest keeps half of it: a still sign or post in front of a moving object.
    Pieces the removal cuts off smaller than 0.15 of the largest go with it."""
    if config.box_still_fraction <= 0 or not mask.any() or moving[mask].mean() < config.still_min_moving:
        return mask
    still = (motion < config.box_still_fraction * threshold) & mask
    side = max(3, round(config.box_still_open_fraction * max(mask.shape)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    still = cv2.morphologyEx(still.astype(np.uint8), cv2.MORPH_OPEN, disc) > 0
    rest = mask & ~still
    if rest.sum() < 0.5 * mask.sum():
        return mask
    count, parts, stats, _ = cv2.connectedComponentsWithStats(rest.astype(np.uint8), connectivity=8)
    if count <= 2:
        return rest
    areas = stats[1:, cv2.CC_STAT_AREA]
    keep = np.zeros(count, bool)
    keep[1:] = areas >= 0.15 * areas.max()
    return keep[parts]


def _cut(mask: np.ndarray, rgb: np.ndarray, moving: np.ndarray, ring: np.ndarray, config: OpenCVConfig) -> np.ndarray:
    """``mask`` cut to what lies near the ``moving`` pixels, unless that loses most of it or what
    it drops has the colours of what it keeps rather than of the ``ring``."""
    side = config.box_motion_dilate
    near = cv2.dilate(moving.astype(np.uint8), np.ones((side, side), np.uint8)) > 0
    cut = mask & near
    if cut.sum() < config.box_motion_keep * mask.sum():
        return mask
    dropped = mask & ~near
    if not dropped.any():
        return mask
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    kept, gone, around = (_colours(lab, where) for where in (cut, dropped, ring))
    # A still part of the object (a duck's body under flapping wings) has the colours of its
    # moving parts; still background has those of the scenery around the box.
    if similarity(gone, kept) > similarity(gone, around) + config.box_motion_colour_margin:
        return mask
    return cut


def _thin_parts(mask: np.ndarray, rgb: np.ndarray, moving: np.ndarray, config: OpenCVConfig) -> np.ndarray:
    """``mask`` with the thin details in the box that move on their own and touch it.

    GrabCut's pairwise term cuts off what is only a few pixels wide: a bicycle's tyre, a hockey
    stick's shaft, a car's mirrors. Such parts stand out from what is around them (a white or black
    top-hat with a disc about as wide as they are: brighter or darker than their surroundings by
    ``box_thin_contrast`` grey levels) and, unlike the fence or the road markings behind them,
    move with the object."""
    if config.box_thin_contrast <= 0 or not mask.any():
        return mask
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    side = max(3, round(config.box_thin_width_fraction * max(gray.shape)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    brighter = cv2.morphologyEx(gray, cv2.MORPH_TOPHAT, disc)
    darker = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, disc)
    detail = np.maximum(brighter, darker)
    candidates = (detail > config.box_thin_contrast) & moving & ~mask
    if not candidates.any():
        return mask
    # The candidates joined to the mask, in pieces of at least twice the disc's width (specks of
    # spray or of a pole's edge are not parts).
    _, parts = cv2.connectedComponents((candidates | mask).astype(np.uint8), connectivity=8)
    joined = np.zeros(int(parts.max()) + 1, bool)
    joined[np.unique(parts[mask])] = True
    joined[0] = False
    grown = joined[parts] & candidates
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(grown.astype(np.uint8), connectivity=8)
    large = np.zeros(count, bool)
    large[1:] = stats[1:, cv2.CC_STAT_AREA] >= 2 * side
    return mask | large[pieces]


def _colours(lab: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Normalised 8x8x8 Lab histogram of the pixels in ``where``."""
    hist = cv2.calcHist([lab], [0, 1, 2], where.astype(np.uint8), [8, 8, 8], [0, 256] * 3).ravel()
    return hist / max(1.0, float(hist.sum()))


def moving_part(rgb: np.ndarray, click: PointPrompt, motion: FrameMotion, config: OpenCVConfig) -> np.ndarray | None:
    """The connected part of the frame moving on its own (unlike the whole frame's homography) that
    holds ``click``, or None: no neighbours, the click on still ground, or a part too large to
    say where an object ends (a frame the camera's motion does not explain)."""
    measured = motion(config.click_motion_frames)
    if measured is None:
        return None
    height, width = rgb.shape[:2]
    residual, threshold = measured
    moving = (residual > threshold).astype(np.uint8)
    side = max(1, round(config.click_motion_open_fraction * max(height, width)))
    moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, np.ones((side, side), np.uint8))
    _, parts = cv2.connectedComponents(moving)
    x = int(np.clip(round(click.x), 0, width - 1))
    y = int(np.clip(round(click.y), 0, height - 1))
    if parts[y, x] == 0:
        return None
    part = parts == parts[y, x]
    return part if part.mean() <= config.click_motion_max_share else None


def frame_motion(
    rgb: np.ndarray, neighbours: Sequence[tuple[int, np.ndarray]], config: OpenCVConfig
) -> tuple[np.ndarray, float]:
    """Each pixel's motion unlike the whole frame's homography (the camera), and the speed above
    which it moves on its own: ``click_motion_factor`` times the frame's median, 1 px a frame at
    least."""
    motion = own_motion(rgb, neighbours, np.ones(rgb.shape[:2], bool))
    return motion, max(1.0, config.click_motion_factor * float(np.median(motion)))


def measured_motion(
    rgb: np.ndarray,
    neighbours: Callable[[int], Sequence[tuple[int, np.ndarray]]],
    config: OpenCVConfig,
    kept: MutableMapping[int, tuple[np.ndarray, float] | None],
) -> FrameMotion:
    """The frame's motion against its next n frames (``frame_motion``), measured when first asked
    for and kept in ``kept`` (n -> motion and threshold, None without neighbours): a mapping of the
    call's own, or the one the engine's session keeps for the next click on the frame."""

    def measured(n: int) -> tuple[np.ndarray, float] | None:
        if n not in kept:
            near = neighbours(n)
            kept[n] = frame_motion(rgb, near, config) if near else None
        return kept[n]

    return measured


class StillGround:
    """What negative clicks on a video frame take away besides their strokes: the part of the mask
    that stands still, connected to the click, when the click lands on it and most of the mask
    moves on its own. GrabCut keeps a red sign in front of a red car whatever the clicks say of
    its colour; the sign stands still as the car passes. An object that stands still (most of its
    mask below the moving threshold), or a click on a moving pixel, changes nothing.

    The frame's motion is asked for on the first negative click that needs it (``motion``: one DIS
    flow a neighbour frame, ``click_still_frames`` of them, unless the engine kept it)."""

    def __init__(self, motion: FrameMotion | None, config: OpenCVConfig) -> None:
        self._motion = motion
        self._config = config
        self._maps: tuple[np.ndarray, np.ndarray] | None = None  # moving, still
        self._measured = False

    def under_negatives(self, steps: Sequence[Prompt], before: Sequence[np.ndarray | None]) -> np.ndarray | None:
        """The still parts the negative points of ``steps`` took away (full-size bool), or None;
        ``before[j]`` is the mask step j refined."""
        negatives = [
            (j, step)
            for j, step in enumerate(steps)
            if isinstance(step, PointPrompt) and not step.positive and j < len(before)
        ]
        if not negatives or self._motion is None or self._config.click_still_frames <= 0:
            return None
        maps = self._motion_maps()
        if maps is None:
            return None
        moving, still = maps
        height, width = still.shape
        taken = np.zeros((height, width), bool)
        for j, click in negatives:
            mask = before[j]
            if mask is None or not mask.any() or moving[mask].mean() < self._config.still_min_moving:
                continue
            x = int(np.clip(round(click.x), 0, width - 1))
            y = int(np.clip(round(click.y), 0, height - 1))
            if not (mask[y, x] and still[y, x]):
                continue
            _, parts = cv2.connectedComponents((mask & still).astype(np.uint8), connectivity=4)
            taken |= parts == parts[y, x]
        return taken if taken.any() else None

    def _motion_maps(self) -> tuple[np.ndarray, np.ndarray] | None:
        if not self._measured:
            self._measured = True
            assert self._motion is not None
            measured = self._motion(self._config.click_still_frames)
            if measured is not None:
                residual, threshold = measured
                self._maps = residual > threshold, residual <= self._config.click_still_fraction * threshold
        return self._maps
