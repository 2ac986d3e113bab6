"""Finding a lost object again: colour back-projection over the whole frame.

Tracking carries a mask from frame to frame; once the object leaves the frame, or passes behind
an occluder, the mask shrinks to a remnant or vanishes and nothing brings it back. While the
tracked area stays far below its recent level, each frame is searched for the object's key-frame
colours against the key frame's background colours (histogram back-projection), and a connected
region of the object's colours and of about its size re-seeds the mask. Nothing runs while the
object is tracked at its usual size.
"""

from __future__ import annotations

import cv2
import numpy as np

from .config import OpenCVConfig
from .cut import clean_mask
from .histograms import LEVELS, similarity

# On the key frame itself the search must find the object (IoU with its mask at least this), or
# it is not searched for later: when its colours are common in the scenery, whatever a search
# finds while it is away is more likely scenery than the object.
_SELF_CHECK_IOU = 0.5


class LostState:
    """How large the object usually is, to tell that its mask has collapsed."""

    def __init__(self, area: float, findable: bool) -> None:
        self.reference = area  # recent area while tracked at its usual size (working pixels)
        self.findable = findable  # the key frame's search found the object itself

    @classmethod
    def on_key_frame(
        cls, colours: np.ndarray, key_fg: np.ndarray, frame_bg: np.ndarray, hard: np.ndarray, config: OpenCVConfig
    ) -> LostState:
        area = float(hard.sum())
        findable = False
        if config.redetect_fraction > 0 and area >= 9:
            found = find_object(colours, key_fg, frame_bg, area, hard, config)
            if found is not None:
                iou = np.logical_and(found, hard).sum() / max(1, np.logical_or(found, hard).sum())
                findable = iou >= _SELF_CHECK_IOU
        return cls(area, findable)

    def collapsed(self, area: float, config: OpenCVConfig) -> bool:
        """True while ``area`` is far below the recent level; updates the level otherwise."""
        if not self.findable or self.reference < 9:
            return False
        if area < config.redetect_fraction * self.reference:
            return True
        # Slow, so a steady shrink (an object moving away) moves the level, a sudden drop does not.
        self.reference += 0.2 * (area - self.reference)
        return False


def find_object(
    colours: np.ndarray,
    key_fg: np.ndarray,
    frame_bg: np.ndarray,
    reference: float,
    current: np.ndarray,
    config: OpenCVConfig,
    taken: np.ndarray | None = None,
) -> np.ndarray | None:
    """The region of the frame most like the object (key-frame colours, about ``reference``
    pixels), or None when no region is confidently it.

    ``frame_bg`` is the colour histogram of the key frame outside the object: colours common in
    the scenery do not count as the object wherever they are. ``current`` (the collapsed mask)
    breaks ties towards the region the remnant is in; a region mostly in ``taken`` (other objects'
    masks) is not the object."""
    fg = key_fg[colours]
    bg = frame_bg[colours]
    prob = (fg + 1e-6) / (fg + bg + 2e-6)
    side = max(3, int(0.1 * np.sqrt(reference)) | 1)
    prob = cv2.GaussianBlur(prob.astype(np.float32), (side, side), 0)
    candidate = prob > config.redetect_threshold
    count, comp, stats, _ = cv2.connectedComponentsWithStats(candidate.astype(np.uint8), connectivity=8)
    if count <= 1:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA].astype(np.float64)
    fit = np.minimum(areas / reference, reference / areas)
    # A region of the right size (within 3x either way), the one closest in size; a remnant the
    # region contains counts for it.
    overlap = np.bincount(comp[current], minlength=count)[1:] > 0
    score = fit + 0.25 * overlap
    score[fit < 1 / 3] = -1
    if taken is not None:
        # A region that is mostly another object's is that object (a look-alike), not this one.
        held = np.bincount(comp[taken], minlength=count)[1:]
        score[held > 0.5 * stats[1:, cv2.CC_STAT_AREA]] = -1
    best = int(np.argmax(score))
    if score[best] < 0:
        return None
    region = comp == best + 1
    # Every pixel of a patch of scenery can have one of the object's colours; the object has all
    # of them, in its proportions: the region's colours must match the key frame's object's.
    colours_there = _coarse(np.bincount(colours[region], minlength=len(key_fg)))
    if similarity(colours_there, _coarse(key_fg)) < config.redetect_similarity:
        return None
    return clean_mask(region, min_fraction=0.0)


# Levels a channel of the coarse histograms re-detection compares (histograms.LEVELS summed down).
COARSE_LEVELS = 8


def _coarse(hist: np.ndarray) -> np.ndarray:
    """A histogram of ``histograms.LEVELS`` levels a channel summed to ``COARSE_LEVELS``,
    normalised: sparse counts of a few thousand pixels compare stably only in coarse bins."""
    step = LEVELS // COARSE_LEVELS
    cube = hist.astype(np.float64).reshape((COARSE_LEVELS, step) * 3).sum(axis=(1, 3, 5))
    return (cube / max(1e-9, cube.sum())).reshape(-1)
