"""The colour band: how the tracker snaps a flow-carried mask back to the object.

The flow carries last frame's mask onto the new one (tracking.py). In a band around the carried
mask's boundary, as wide as a share of the object's size, each pixel is then decided by the carried
mask and by a colour posterior together: the object's colour histogram (from the key frame and the
recent frames) against the background's (near the object on the key frame and recent frames, and
around the band on the frame itself). Where the flow failed its round trip, colour has the larger
say. Inside the band the mask is kept, outside it nothing is added; pieces apart from the mask's
largest part are dropped (a trail left behind) unless they are near it, or a little further and
surely the object's colours (a part coming out from behind a pole); with ``regrow_fraction`` on,
regions of surely the object's colour next to the mask join it. A mask already much larger than
its object's motion explains (tracking.py measures it: ``size``) grows outside the carried mask
only into surely the object's colours: a wake or a reflection of half its colours is held off; one
much smaller loses only what is surely the background: parts whose colours changed (a car in
smoke, wings opening) are kept as the flow carries them. The colour models follow the new mask
slowly.
"""

from __future__ import annotations

from typing import Protocol

import cv2
import numpy as np

from .config import OpenCVConfig
from .cut import clean_mask
from .histograms import histogram, similarity


class ColourTrack(Protocol):
    """What the band reads and updates of one object's track (tracking.ObjectTrack)."""

    key_fg: np.ndarray  # colour histogram of the object on its key frame (never drifts)
    key_bg: np.ndarray  # and of the background near it there
    fg: np.ndarray  # colour histogram of the object on recent frames
    bg: np.ndarray  # and of the background near it
    colour_fit: float  # how well the last mask's colours match the key frame's (0..1)


def surroundings(hard: np.ndarray) -> np.ndarray:
    """Background near the object: a ring as wide as the object's typical size.

    Found by a distance transform, in time that does not grow with the ring's width (a
    dilation with the same disc costs ~4 ms a frame for a large object at 360 px)."""
    area = int(hard.sum())
    ring = 3 + int(0.5 * np.sqrt(area))
    distance = cv2.distanceTransform((~hard).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    return (distance <= ring) & ~hard


def refine(
    track: ColourTrack,
    warped: np.ndarray,
    colours: np.ndarray,
    reliable: np.ndarray,
    config: OpenCVConfig,
    size: float = 1.0,
) -> tuple[np.ndarray, float, int]:
    """Snap a warped mask (float, working size) to the object's colours in a band around its
    boundary; ``colours`` are the frame's quantised colours (histograms.colour_index),
    ``reliable`` where its flow round-tripped; ``size`` is the warped mask's area against what the
    object's motion made of its key frame's (tracking.py): a mask past ``growth_guard`` grows only
    into surely the object's colours, one under 1 / ``shrink_guard`` loses only surely the
    background's. Returns the new mask (float 0/1), how much the band left of the warped mask
    (IoU) and how many pixels it held back from an overgrown mask, and updates the track's colour
    models and colour fit."""
    hard = warped > 0.5
    area = int(hard.sum())
    if area < 9:
        hard = warped > config.unreliable_prior - 1e-3
        area = int(hard.sum())
    if area < 9:
        return hard.astype(np.float32), 0.0, 0
    band = 2 + int(config.band_fraction * np.sqrt(area))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    u8 = hard.astype(np.uint8)
    inner = cv2.erode(u8, kernel).astype(bool)
    outer = cv2.dilate((warped > 0.01).astype(np.uint8), kernel).astype(bool)
    ys, xs = np.nonzero(outer)
    h, w = hard.shape
    x0, x1 = max(0, xs.min() - 1), min(w, xs.max() + 2)
    y0, y1 = max(0, ys.min() - 1), min(h, ys.max() + 2)

    def hist(where: np.ndarray) -> np.ndarray:
        return histogram(colours, where, config.colour_smoothing)

    fresh = None
    if config.fresh_background_weight > 0:
        # Beyond the band, so the parts of the object the warped mask missed are not taken in.
        fresh = config.fresh_background_weight * hist(surroundings(outer))
    window = (slice(y0, y1), slice(x0, x1))
    colour_prob = _colour_prob(track, colours[window], fresh, config)
    sub = _colour_band(warped[window], inner[window], outer[window], band, colour_prob, reliable[window], config)
    held = 0
    if config.growth_guard > 0 and size > config.growth_guard:
        refused = _hold_growth(sub, warped[window], colour_prob, band, config.growth_colour)
        held = int(refused.sum())
        sub &= ~refused
    elif config.shrink_guard > 0 and size * config.shrink_guard < 1.0:
        sub |= _keep_carried(warped[window], colour_prob, band, config.shrink_colour)
    sub = clean_track(sub, band, colour_prob, round(config.occluded_piece_reach * band), config.occluded_piece_colour)
    new_area = int(sub.sum())
    ratio = (new_area + 1) / (area + 1)
    out = np.zeros_like(hard)
    if 1 / config.max_area_ratio <= ratio <= config.max_area_ratio:
        out[y0:y1, x0:x1] = sub
    else:
        out = hard
    if config.regrow_fraction > 0 and out.any():
        out = _regrow(track, out, colours, fresh, config)
    inter = np.logical_and(out, hard).sum()
    union = np.logical_or(out, hard).sum()
    # Colour models follow slow changes of light and pose; the key frame's anchors them.
    rate = config.colour_update_rate
    out_hist = hist(out)
    # Bhattacharyya coefficient against the key frame's colours: falls when the mask slid
    # onto background or another object.
    track.colour_fit = similarity(out_hist, track.key_fg) if out.any() else 0.0
    track.fg = (1 - rate) * track.fg + rate * out_hist
    track.bg = (1 - rate) * track.bg + rate * hist(surroundings(out))
    return out.astype(np.float32), float(inter / max(1, union)), held


def _colour_prob(track: ColourTrack, colours: np.ndarray, fresh: np.ndarray | None, config: OpenCVConfig) -> np.ndarray:
    """Posterior that a pixel of ``colours`` (a window's quantised colours) is the object from its
    colour alone (0.5 where unknown)."""
    fg_model = config.key_colour_weight * track.key_fg + (1 - config.key_colour_weight) * track.fg
    key_bg = config.key_background_weight
    bg_model = key_bg * track.key_bg + (1 - key_bg) * track.bg
    if fresh is not None:
        bg_model = np.maximum(bg_model, fresh)
    fg_like = fg_model[colours]
    bg_like = bg_model[colours]
    return (fg_like + 1e-6) / (fg_like + bg_like + 2e-6)


def _regrow(
    track: ColourTrack, out: np.ndarray, colours: np.ndarray, fresh: np.ndarray | None, config: OpenCVConfig
) -> np.ndarray:
    """Add the surely object-coloured regions next to the mask, within reach of it.

    Parts that come out from behind an occluder (legs past a pole) have no mask to warp from,
    and the band is too narrow to find them; their colours are still the object's."""
    reach = 2 + int(config.regrow_fraction * np.sqrt(out.sum()))
    distance = cv2.distanceTransform((~out).astype(np.uint8), cv2.DIST_L2, 3)
    near = distance <= reach
    ys, xs = np.nonzero(near)
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    prob = cv2.GaussianBlur(_colour_prob(track, colours[y0:y1, x0:x1], fresh, config).astype(np.float32), (5, 5), 0)
    sub = out[y0:y1, x0:x1]
    grown = sub | ((prob > config.regrow_threshold) & near[y0:y1, x0:x1])
    count, comp = cv2.connectedComponents(grown.astype(np.uint8), connectivity=8)
    touching = np.zeros(count, bool)
    touching[np.unique(comp[sub])] = True
    touching[0] = False
    result = out.copy()
    result[y0:y1, x0:x1] = touching[comp]
    return result


def _colour_band(
    warped: np.ndarray,
    inner: np.ndarray,
    outer: np.ndarray,
    band: int,
    colour_prob: np.ndarray,
    reliable: np.ndarray,
    config: OpenCVConfig,
) -> np.ndarray:
    """The mask within a window (every array cut to it): the warped mask and the colour posterior
    weighed per pixel, smoothed; sure inside ``inner``, nothing outside ``outer``."""
    weight = np.where(reliable, config.flow_weight, config.unreliable_flow_weight)
    score_map = weight * warped + (1 - weight) * colour_prob
    # Neighbours agree: smoothing stands in for GrabCut's pairwise term at a fraction of its cost.
    sub = _smoothed(score_map, band) > 0.5
    sub[inner] = True
    sub[~outer] = False
    return sub


def _smoothed(values: np.ndarray, band: int) -> np.ndarray:
    """``values`` (float, a window) blurred over about half the band's width, as the band smooths
    its scores (and the guards the colour posterior they compare with them)."""
    smooth = max(1, band // 2) * 2 + 1
    return cv2.GaussianBlur(values.astype(np.float32), (smooth, smooth), 0)


def _hold_growth(sub: np.ndarray, warped: np.ndarray, colour_prob: np.ndarray, band: int, sure: float) -> np.ndarray:
    """The pixels the band added to a mask outside the carried one where the colour posterior,
    smoothed, is not above ``sure``: growth an overgrown mask is refused."""
    return sub & (warped <= 0.5) & (_smoothed(colour_prob, band) <= sure)


def _keep_carried(warped: np.ndarray, colour_prob: np.ndarray, band: int, unsure: float) -> np.ndarray:
    """The pixels of the carried mask whose colour posterior, smoothed, is at least ``unsure``:
    what a shrunken mask keeps whatever the band said (it loses only surely the background)."""
    return (warped > 0.5) & (_smoothed(colour_prob, band) >= unsure)


def clean_track(
    fg: np.ndarray, gap: int, colour_prob: np.ndarray | None = None, reach: int = 0, threshold: float = 1.0
) -> np.ndarray:
    """Keep the largest part of a tracked mask, the parts within ``gap`` pixels of it, and the
    parts within ``reach`` pixels of it whose mean ``colour_prob`` (the colour posterior, same
    shape) is at least ``threshold``.

    An object seldom splits into far-apart pieces; a piece left behind is usually a trail (smoke,
    uncovered background) that would otherwise be tracked for the rest of the video. A piece cut
    off by a thin occluder (a leg behind a pole) lies a little further off, and is surely the
    object's colours, as a trail seldom is. Small holes are filled as in ``clean_mask``.
    """
    count, comp, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if count > 2:
        largest = (comp == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
        wanted = np.zeros(count, bool)
        wanted[np.unique(comp[_dilate(largest, gap)])] = True
        if colour_prob is not None and reach > gap:
            areas = np.maximum(1, stats[:, cv2.CC_STAT_AREA])
            colour = np.bincount(comp.ravel(), weights=colour_prob.ravel(), minlength=count) / areas
            nearby = np.zeros(count, bool)
            nearby[np.unique(comp[_dilate(largest, reach)])] = True
            wanted |= nearby & (colour >= threshold)
        wanted[0] = False
        fg = wanted[comp]
    return clean_mask(fg, min_fraction=0.0)


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` (uint8) grown by a disc of ``radius`` pixels, as bool."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel).astype(bool)
