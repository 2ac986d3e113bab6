"""Frames with masks drawn in: label colour fill and a crisp outline, encoded as JPEG."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from video_seg_backend.storage.masks import decode_mask
from video_seg_backend.storage.video import encode_jpeg

FILL_ALPHA = 0.45


def hex_to_bgr(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return b, g, r


def render_annotated(frame_bgr: np.ndarray, masks: Sequence[tuple[str, int, int, str]], quality: int = 85) -> bytes:
    """``masks``: (rle counts, height, width, hex colour) per object, drawn in order."""
    out = frame_bgr
    for counts, height, width, color in masks:
        mask = decode_mask(counts, height, width)
        if mask.shape != out.shape[:2] or not mask.any():
            continue
        bgr = np.array(hex_to_bgr(color), dtype=np.float32)
        ys, xs = np.nonzero(mask)
        # Blend only the masked pixels: ~3x faster than blending the whole frame.
        out[ys, xs] = (out[ys, xs] * (1 - FILL_ALPHA) + bgr * FILL_ALPHA).astype(np.uint8)
        contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        cv2.drawContours(out, contours, -1, tuple(int(c) for c in bgr), thickness=2, lineType=cv2.LINE_AA)
    return encode_jpeg(out, quality)
