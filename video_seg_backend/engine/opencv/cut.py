"""One GrabCut step of a prompt on a frame: the region of interest around what is known, the labels the
prompt gives GrabCut (a box's rectangle, a first click's region of like colour or moving part, a
correction's painted strokes), GrabCut itself (grabcut.py), and the clean-up of its mask.

clicks.py orders the steps of a person's prompts; box.py makes a box alone into a mask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple, TypeVar

import cv2
import numpy as np

from ..base import BoxPrompt, PointPrompt, Prompt
from .config import OpenCVConfig
from .grabcut import grabcut

A = TypeVar("A")
B = TypeVar("B")

# GC_* labels of cv2.grabCut's mask.
_BG, _FG, _PR_BG, _PR_FG = cv2.GC_BGD, cv2.GC_FGD, cv2.GC_PR_BGD, cv2.GC_PR_FGD


class Cut(NamedTuple):
    """A step's mask (full-size bool), GrabCut's energy when measured (else None), and the mask
    GrabCut found before a box's sweep lines were pinned (the same array when nothing was pinned)."""

    mask: np.ndarray
    energy: float | None
    unpinned: np.ndarray


def side_by_side(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """``first()`` and ``second()``, the first in a second thread when OpenCV may use more than one
    (``cv2.setNumThreads``; GrabCut and optical flow let go of the GIL). Each GrabCut seeds its own
    thread's generator, so the answer is the same either way."""
    if cv2.getNumThreads() < 2:
        return first(), second()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="grabcut") as pool:
        pending = pool.submit(first)
        other = second()
        return pending.result(), other


def grabcut_step(
    rgb: np.ndarray,
    previous: np.ndarray | None,
    steps: Sequence[Prompt],
    config: OpenCVConfig,
    box_margin_fraction: float | None = None,
    lab: bool = False,
    flood: bool = False,
    lasso: np.ndarray | None = None,
    off: np.ndarray | None = None,
    measure: bool = False,
    pin: bool = False,
) -> Cut:
    """GrabCut for the last of ``steps``; ``box_margin_fraction``, ``lab`` (colours GrabCut
    models) and ``flood`` (what a flood from outside the box reaches starts as probable
    background) apply to a box alone; ``lasso`` (full-size bool) to a first click: the object lies
    within it, as within a box; ``off`` (full-size bool) to a correction: sure background, under
    the clicks' strokes. With ``measure`` the Cut holds GrabCut's energy (grabcut.py); with ``pin``
    a box alone is held to the tightness prior (grabcut.pin_sweep_lines)."""
    height, width = rgb.shape[:2]
    long_side = max(height, width)
    box = steps[0] if isinstance(steps[0], BoxPrompt) else None
    points = [p for p in steps if isinstance(p, PointPrompt)]
    last = steps[-1]
    if previous is None or not previous.any():
        previous = None
        if box is None and not any(p.positive for p in points):
            # Only negative clicks so far: nothing is asked for.
            empty = np.zeros((height, width), bool)
            return Cut(empty, None, empty)

    # A first click alone says nothing of the object's size: the region of like colour around it
    # does. Without it, an object larger than the default region fills the region, and GrabCut
    # learns the object's own colour as background (one click on a uniform disc gave 13 pixels).
    seed = None
    if previous is None and box is None:
        first = next(p for p in points if p.positive)
        seed = _colour_region(rgb, first.x, first.y, config)

    # Region of interest: what is known of the object plus a margin of background for the colour
    # model of the background.
    xs = [p.x for p in points if p.positive]
    ys = [p.y for p in points if p.positive]
    if lasso is not None:
        seed = lasso if seed is None else seed | lasso
    if seed is not None:
        rows = np.flatnonzero(seed.any(axis=1))
        cols = np.flatnonzero(seed.any(axis=0))
        xs += [float(cols[0]), float(cols[-1] + 1)]
        ys += [float(rows[0]), float(rows[-1] + 1)]
    if box is not None:
        xs += [box.x0, box.x1]
        ys += [box.y0, box.y1]
    if previous is not None:
        rows = np.flatnonzero(previous.any(axis=1))
        cols = np.flatnonzero(previous.any(axis=0))
        xs += [float(cols[0]), float(cols[-1] + 1)]
        ys += [float(rows[0]), float(rows[-1] + 1)]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    alone = previous is None and box is not None  # a box alone: its own margin, size and iterations
    margin = None
    if alone:
        fraction = config.box_margin_fraction if box_margin_fraction is None else box_margin_fraction
        margin = max(8.0, fraction * max(x1 - x0, y1 - y0))
    rx0, ry0, rx1, ry1 = region_of_interest((x0, y0, x1, y1), (height, width), config, margin)
    roi = np.ascontiguousarray(rgb[ry0:ry1, rx0:rx1, ::-1])  # BGR like the rest of OpenCV
    max_side = config.box_max_side if alone else config.segment_max_side
    scale = min(1.0, max_side / max(roi.shape[:2]))
    if scale < 1.0:
        roi = cv2.resize(roi, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    rh, rw = roi.shape[:2]

    def to_roi(x: float, y: float) -> tuple[int, int]:
        return (
            int(np.clip(round((x - rx0) * scale), 0, rw - 1)),
            int(np.clip(round((y - ry0) * scale), 0, rh - 1)),
        )

    labels = np.full((rh, rw), _PR_BG, np.uint8)
    span = None  # a box alone's rows and columns to pin (grabcut.pin_sweep_lines)
    if previous is not None:
        prior = previous[ry0:ry1, rx0:rx1].astype(np.uint8)
        if scale < 1.0:
            prior = cv2.resize(prior, (rw, rh), interpolation=cv2.INTER_NEAREST)
        labels[prior > 0] = _PR_FG
    elif box is not None:
        # Classic GrabCut: outside the box is background, inside it may be the object.
        labels[:] = _BG
        bx0, by0 = to_roi(box.x0, box.y0)
        bx1, by1 = to_roi(box.x1, box.y1)
        labels[by0 : by1 + 1, bx0 : bx1 + 1] = _PR_FG
        if flood:
            reached = _reached_from_outside(roi, (bx0, by0, bx1, by1), config.box_flood_tolerance)
            inner = labels == _PR_FG
            # A flood over most of the box found no edge around the object: no help.
            if (reached & inner).sum() < config.box_flood_max_share * inner.sum():
                labels[reached & inner] = _PR_BG
        if pin:
            ix = round(config.box_pin_inset * (bx1 - bx0))
            iy = round(config.box_pin_inset * (by1 - by0))
            span = (bx0 + ix, by0 + iy, bx1 - ix, by1 - iy)
    else:
        # A first click: a disk around it is probably the object; GrabCut grows or shrinks it.
        first = next(p for p in points if p.positive)
        if lasso is not None:
            # Like a box: what lies outside the moving part is background.
            labels[:] = _BG
        radius = max(3, round(config.seed_region_fraction * long_side * scale))
        if seed is not None:
            region = seed[ry0:ry1, rx0:rx1].astype(np.uint8)
            if scale < 1.0:
                region = cv2.resize(region, (rw, rh), interpolation=cv2.INTER_NEAREST)
            labels[region > 0] = _PR_FG
        cv2.circle(labels, to_roi(first.x, first.y), radius, int(_PR_FG), -1)
    labels[[0, -1], :] = _BG
    labels[:, [0, -1]] = _BG
    if off is not None and previous is not None:
        region = off[ry0:ry1, rx0:rx1].astype(np.uint8)
        if scale < 1.0:
            region = cv2.resize(region, (rw, rh), interpolation=cv2.INTER_NEAREST)
        labels[region > 0] = _BG

    stroke = max(2, round(config.stroke_fraction * long_side * scale))
    for point in points:
        cx, cy = to_roi(point.x, point.y)
        radius = stroke
        if point is last and previous is not None:
            # A click fixes the error region it lands in: paint the part of it near the click, as far
            # as half the click's distance to the previous mask's boundary.
            inside = labels == _PR_FG
            region = inside if not point.positive else ~inside
            # No boundary to measure to (the previous mask lies all under earlier strokes): the
            # distance transform gives ~3e38 there, so the click paints its stroke only.
            if not region.all():
                dist = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L2, 3)
                radius = max(stroke, int(0.5 * dist[cy, cx]))
        label = _FG if point.positive else _BG
        if radius > stroke and config.paint_colour_tolerance > 0:
            # A wide brush is sure of the clicked colour only: a click on a thin missed part (a
            # rope, a leg) far from the mask would otherwise paint the background around it.
            disc = np.zeros((rh, rw), np.uint8)
            cv2.circle(disc, (cx, cy), radius, 1, -1)
            like = _like_colour(roi, cx, cy, config.paint_colour_tolerance)
            labels[(disc > 0) & like] = label
            radius = stroke
        cv2.circle(labels, (cx, cy), radius, int(label), -1)
    if previous is not None:
        # A correction changes the mask near what it was and near the click, not far away where
        # GrabCut would pick up other things of the object's colours.
        reach = labels == _PR_FG
        cx, cy = to_roi(last.x, last.y) if isinstance(last, PointPrompt) else (0, 0)
        near = np.zeros_like(labels)
        if isinstance(last, PointPrompt):
            cv2.circle(near, (cx, cy), max(3 * stroke, round(config.reach_fraction * 2 * long_side * scale)), 1, -1)
        grow = max(3, round(config.reach_fraction * long_side * scale))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        reach = cv2.dilate(reach.astype(np.uint8), kernel).astype(bool) | near.astype(bool)
        labels[~reach & (labels == _PR_BG)] = _BG
    # Earlier strokes keep their word over the last click's brush.
    for point in points:
        if point is not last:
            cv2.circle(labels, to_roi(point.x, point.y), stroke, int(_FG if point.positive else _BG), -1)

    iterations = config.box_iterations if alone else config.segment_iterations
    found = grabcut(cv2.cvtColor(roi, cv2.COLOR_BGR2LAB) if lab else roi, labels, iterations, measure, span)

    def full_size(result: np.ndarray) -> np.ndarray:
        fg = (result == _FG) | (result == _PR_FG)
        # A click segments one object: keep the parts that hold a positive click or that were the
        # object before, not far-away regions of similar colour.
        fg = clean_mask(
            fg,
            seeds=[to_roi(p.x, p.y) for p in points if p.positive],
            keep=(labels == _PR_FG) | (labels == _FG) if box is None else None,
            min_fraction=None if box is None else 0.15,
            open_holes=[to_roi(p.x, p.y) for p in points if not p.positive],
        )
        return to_frame(fg, (rx0, ry0, rx1, ry1), (height, width))

    mask = full_size(found.labels)
    return Cut(mask, found.energy, mask if found.unpinned is found.labels else full_size(found.unpinned))


def region_of_interest(
    extent: tuple[float, float, float, float],
    shape: tuple[int, int],
    config: OpenCVConfig,
    margin: float | None = None,
) -> tuple[int, int, int, int]:
    """The frame's rectangle (x0, y0, x1, y1) that GrabCut sees around what is known of the object
    (``extent``, the same form): a click's margin of background unless ``margin`` is given, cut by
    the frame of ``shape`` (height, width)."""
    x0, y0, x1, y1 = extent
    height, width = shape
    if margin is None:
        margin = max(config.point_region_fraction * max(height, width), 0.25 * max(x1 - x0, y1 - y0))
    return (
        int(max(0, np.floor(x0 - margin))),
        int(max(0, np.floor(y0 - margin))),
        int(min(width, np.ceil(x1 + margin))),
        int(min(height, np.ceil(y1 + margin))),
    )


def to_frame(fg: np.ndarray, region: tuple[int, int, int, int], shape: tuple[int, int]) -> np.ndarray:
    """A mask found in ``region`` of the frame, at whatever working size, as a mask of the whole
    frame of ``shape``: scaled back bilinearly and cut at 0.5."""
    rx0, ry0, rx1, ry1 = region
    soft = fg.astype(np.float32)
    if soft.shape != (ry1 - ry0, rx1 - rx0):
        soft = cv2.resize(soft, (rx1 - rx0, ry1 - ry0), interpolation=cv2.INTER_LINEAR)
    mask = np.zeros(shape, bool)
    mask[ry0:ry1, rx0:rx1] = soft > 0.5
    return mask


def _reached_from_outside(bgr: np.ndarray, box: tuple[int, int, int, int], tolerance: int) -> np.ndarray:
    """The pixels a flood fill (floating range: each step within ``tolerance`` in Lab) reaches from
    seeds just outside the box's four sides."""
    lab = cv2.cvtColor(cv2.GaussianBlur(bgr, (5, 5), 0), cv2.COLOR_BGR2LAB)
    x0, y0, x1, y1 = box
    step = max(2, round(0.05 * max(x1 - x0, y1 - y0)))
    seeds = [(x, y) for x in range(x0, x1 + 1, step) for y in (y0 - 2, y1 + 2)]
    seeds += [(x, y) for y in range(y0, y1 + 1, step) for x in (x0 - 2, x1 + 2)]
    return _flood(lab, seeds, tolerance, fixed=False, connectivity=8)


def _flood(
    lab: np.ndarray, seeds: Sequence[tuple[int, int]], tolerance: int, fixed: bool, connectivity: int = 4
) -> np.ndarray:
    """The pixels a flood fill of ``lab`` reaches from ``seeds`` (those inside it): each pixel within
    ``tolerance`` of its seed's colour (``fixed``) or of the neighbour it was reached from."""
    height, width = lab.shape[:2]
    fill = np.zeros((height + 2, width + 2), np.uint8)
    tol = (tolerance,) * 3
    flags = connectivity | cv2.FLOODFILL_MASK_ONLY | (255 << 8) | (cv2.FLOODFILL_FIXED_RANGE if fixed else 0)
    for x, y in seeds:
        if 0 <= x < width and 0 <= y < height and not fill[y + 1, x + 1]:
            cv2.floodFill(lab, fill, (x, y), (0, 0, 0), tol, tol, flags)
    return fill[1:-1, 1:-1] > 0


def _like_colour(bgr: np.ndarray, x: int, y: int, tolerance: int) -> np.ndarray:
    """The pixels connected to (x, y) whose Lab colour is within ``tolerance`` of its colour."""
    lab = cv2.cvtColor(cv2.GaussianBlur(bgr, (5, 5), 0), cv2.COLOR_BGR2LAB)
    return _flood(lab, [(x, y)], tolerance, fixed=True)


def _colour_region(rgb: np.ndarray, x: float, y: float, config: OpenCVConfig) -> np.ndarray | None:
    """The connected region of about the click's colour (full-size bool mask), or None when it is a
    speck or spills over much of the frame (then the click alone seeds GrabCut, as before)."""
    height, width = rgb.shape[:2]
    scale = min(1.0, config.colour_region_max_side / max(height, width))
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_RGB2LAB)
    sh, sw = lab.shape[:2]
    cx, cy = int(np.clip(x * scale, 0, sw - 1)), int(np.clip(y * scale, 0, sh - 1))
    # Fixed range: compared with the clicked colour, so a slow gradient cannot carry the fill away.
    region = _flood(lab, [(cx, cy)], config.colour_region_tolerance, fixed=True)
    share = region.mean()
    if not config.colour_region_min_share <= share <= config.colour_region_max_share:
        return None
    if scale < 1.0:
        region = cv2.resize(region.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
    return region


def clean_mask(
    fg: np.ndarray,
    seeds: Sequence[tuple[int, int]] = (),
    keep: np.ndarray | None = None,
    min_fraction: float | None = 0.15,
    open_holes: Sequence[tuple[int, int]] = (),
) -> np.ndarray:
    """Drop stray regions and fill small holes.

    A connected component stays when it holds a seed, lies mostly inside ``keep``, or (when
    ``min_fraction`` is set) has at least that fraction of the largest component's area. A hole
    holding one of ``open_holes`` (x, y: negative clicks) is never filled.
    """
    count, comp, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if count <= 1:
        return fg
    areas = stats[:, cv2.CC_STAT_AREA]
    wanted = np.zeros(count, bool)
    if min_fraction is not None:
        wanted[1:] = areas[1:] >= min_fraction * areas[1:].max()
    for x, y in seeds:
        wanted[comp[y, x]] = True
    if keep is not None:
        inside = np.bincount(comp[keep], minlength=count)
        wanted |= inside > 0.5 * areas
    wanted[0] = False
    out = wanted[comp]
    # Fill small holes left by specular highlights and shadows.
    holes = ~out
    hcount, hcomp, hstats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    h, w = out.shape
    limit = 0.02 * max(1, int(out.sum()))
    # A negative click inside the mask leaves a small hole: filling it would undo the click.
    said = np.zeros(hcount, bool)
    for hx, hy in open_holes:
        said[hcomp[hy, hx]] = True
    for label in range(1, hcount):
        x, y, bw, bh, area = hstats[label]
        if area < limit and x > 0 and y > 0 and x + bw < w and y + bh < h and not said[label]:
            out[hcomp == label] = True
    return out
