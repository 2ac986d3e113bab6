"""Frames with masks drawn in: label colour fill and a crisp outline, encoded as JPEG."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from video_seg_backend.storage.masks import decode_mask
from video_seg_backend.storage.video import encode_jpeg

FILL_ALPHA = 0.45
# 80 looks the same as 90 at preview sizes and encodes ~30% faster: previews are for scrubbing.
PREVIEW_JPEG_QUALITY = 80
_OUTLINE_KERNEL = np.ones((3, 3), np.uint8)


def hex_to_bgr(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def draw_mask(out: np.ndarray, mask: np.ndarray, color: str) -> None:
    """Blend ``mask`` into ``out`` (BGR, in place) and outline it, touching only its bounding box.

    The outline is the mask's morphological gradient (a 2-pixel band across its border, holes
    included), not drawn contours: its cost follows the box's pixel count, not the number of
    contours, so a speckled mask renders about as fast as a smooth one (a full-frame speckled mask
    at 854x480: 19 ms with contours, 6 ms now)."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return
    cols = np.flatnonzero(mask.any(axis=0))
    # One pixel of margin so the outline of a mask touching its box edge is not clipped.
    y0, y1 = max(0, rows[0] - 1), min(mask.shape[0], rows[-1] + 2)
    x0, x1 = max(0, cols[0] - 1), min(mask.shape[1], cols[-1] + 2)
    crop, region = out[y0:y1, x0:x1], mask[y0:y1, x0:x1].astype(np.uint8)
    solid = np.full_like(crop, hex_to_bgr(color))
    drawn = cv2.addWeighted(crop, 1 - FILL_ALPHA, solid, FILL_ALPHA, 0)
    outline = cv2.morphologyEx(region, cv2.MORPH_GRADIENT, _OUTLINE_KERNEL)
    cv2.copyTo(solid, outline, drawn)
    np.copyto(crop, drawn, where=(region | outline).astype(bool)[..., None])


def render_annotated(
    frame_bgr: np.ndarray, masks: Sequence[tuple[str, int, int, str]], quality: int = PREVIEW_JPEG_QUALITY
) -> bytes:
    """``masks``: (rle counts, height, width, hex colour) per object, drawn in order."""
    for counts, height, width, color in masks:
        if (height, width) != frame_bgr.shape[:2]:
            continue
        draw_mask(frame_bgr, decode_mask(counts, height, width), color)
    return encode_jpeg(frame_bgr, quality)
