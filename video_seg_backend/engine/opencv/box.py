"""A box alone to a mask: GrabCut in the box, and GrabCut after a flood from outside it, the one
GrabCut's own energy prefers; both held to the box's tightness prior (grabcut.pin_sweep_lines). On
a video frame clicks.py then cuts the mask to what moves (motion.py).
"""

from __future__ import annotations

import cv2
import numpy as np

from ..base import BoxPrompt
from .config import OpenCVConfig
from .cut import Cut, grabcut_step, side_by_side


def box_colour_mask(rgb: np.ndarray, box: BoxPrompt, config: OpenCVConfig) -> np.ndarray:
    """A box alone by colour: GrabCut, and GrabCut after a flood from outside the box."""
    if config.box_flood_tolerance <= 0:
        return _box_mask(rgb, box, config, flood=False).mask
    # Background inside the box (water between a swan's neck and back, the fence behind a player)
    # joins the background outside it by small colour steps, where the object is parted from it by
    # an edge: a second mask starts with what a flood from outside the box reaches as background.
    # When neither GrabCut was retried, the one of lower energy is taken (grabcut.py); otherwise the
    # flooded one when its outline follows clearly stronger edges (objects end at edges) and it
    # still spans the box. Both look at the frame and the box alone, never at a truth.
    plain, flooded = side_by_side(
        lambda: _box_mask(rgb, box, config, flood=False), lambda: _box_mask(rgb, box, config, flood=True)
    )
    if config.box_choose_by_energy and plain.energy is not None and flooded.energy is not None:
        # Two starts of one GrabCut (the same box, margin and colours): the one of lower energy,
        # whichever of the two a box moved by a pixel or two would otherwise have tipped to.
        return flooded.mask if flooded.energy < plain.energy else plain.mask
    if _sides_touched(flooded.unpinned, box) < 2:
        return plain.mask
    edges = _edge_strength(rgb)
    if _outline_score(flooded.mask, edges) > (1 + config.box_flood_edge_margin) * _outline_score(plain.mask, edges):
        return flooded.mask
    return plain.mask


def _box_mask(rgb: np.ndarray, box: BoxPrompt, config: OpenCVConfig, flood: bool) -> Cut:
    """GrabCut's mask for a box alone, retried with a wider margin when it collapsed; the energy
    only for the first GrabCut's mask (None for the retry's, another problem)."""
    first = grabcut_step(rgb, None, [box], config, flood=flood, measure=True, pin=config.box_pin)
    # Whether GrabCut collapsed is judged on what it found by itself, before the pins.
    if _sides_touched(first.unpinned, box) >= 2:
        return first
    # A box drawn around an object touches it on all four sides. A mask that reaches fewer than two
    # has collapsed (GrabCut took the object's colours for the background of a tight margin: a
    # white car in grey smoke); a wider margin, in Lab, gives the background model more to learn
    # from. Costs a second GrabCut on such boxes only.
    retry = grabcut_step(
        rgb, None, [box], config, config.box_retry_margin_fraction, lab=True, flood=flood, pin=config.box_pin
    )
    return retry if _sides_touched(retry.unpinned, box) > _sides_touched(first.unpinned, box) else first


def _sides_touched(mask: np.ndarray, box: BoxPrompt) -> int:
    """How many of the box's four sides the mask reaches (within 4% of the box's size)."""
    x0, y0 = int(box.x0), int(box.y0)
    inside = mask[y0 : max(y0 + 1, int(np.ceil(box.y1))), x0 : max(x0 + 1, int(np.ceil(box.x1)))]
    if not inside.any():
        return 0
    dy = max(1, round(0.04 * inside.shape[0]))
    dx = max(1, round(0.04 * inside.shape[1]))
    return int(inside[:, :dx].any()) + int(inside[:, -dx:].any()) + int(inside[:dy].any()) + int(inside[-dy:].any())


def _edge_strength(rgb: np.ndarray) -> np.ndarray:
    """Gradient magnitude of the lightly blurred frame in Lab (the largest of the three channels)."""
    lab = cv2.cvtColor(cv2.GaussianBlur(rgb, (3, 3), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    best = np.zeros(rgb.shape[:2], np.float32)
    for channel in cv2.split(lab):
        gx = cv2.Sobel(channel, cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(channel, cv2.CV_32F, 0, 1, ksize=3)
        best = np.maximum(best, cv2.magnitude(gx, gy))
    return best


def _outline_score(mask: np.ndarray, edges: np.ndarray) -> float:
    """Mean edge strength along the mask's outline (a 3-px band across it); 0 for an empty mask."""
    if not mask.any():
        return 0.0
    u8 = mask.astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    outline = cv2.dilate(u8, kernel).astype(bool) & ~cv2.erode(u8, kernel).astype(bool)
    return float(edges[outline].mean())
