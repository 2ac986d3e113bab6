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


def hex_to_bgr(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def draw_mask(out: np.ndarray, mask: np.ndarray, color: str) -> None:
    """Blend ``mask`` into ``out`` (BGR, in place) and outline it, touching only its bounding box."""
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return
    cols = np.flatnonzero(mask.any(axis=0))
    # One pixel of margin so the outline of a mask touching its box edge is not clipped.
    y0, y1 = max(0, rows[0] - 1), min(mask.shape[0], rows[-1] + 2)
    x0, x1 = max(0, cols[0] - 1), min(mask.shape[1], cols[-1] + 2)
    crop, region = out[y0:y1, x0:x1], mask[y0:y1, x0:x1]
    bgr = hex_to_bgr(color)
    tinted = cv2.addWeighted(crop, 1 - FILL_ALPHA, np.full_like(crop, bgr), FILL_ALPHA, 0)
    np.copyto(crop, tinted, where=region[..., None])
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(crop, contours, -1, bgr, thickness=2, lineType=cv2.LINE_AA)


def render_annotated(
    frame_bgr: np.ndarray, masks: Sequence[tuple[str, int, int, str]], quality: int = PREVIEW_JPEG_QUALITY
) -> bytes:
    """``masks``: (rle counts, height, width, hex colour) per object, drawn in order."""
    for counts, height, width, color in masks:
        if (height, width) != frame_bgr.shape[:2]:
            continue
        draw_mask(frame_bgr, decode_mask(counts, height, width), color)
    return encode_jpeg(frame_bgr, quality)
