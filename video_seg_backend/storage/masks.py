"""Masks as COCO RLE (pycocotools): what the database stores and the API returns."""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils


def encode_mask(mask: np.ndarray) -> tuple[str, list[float], int]:
    """Boolean (H, W) mask -> (compressed RLE counts, bbox [x, y, w, h], area)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    area = int(mask_utils.area(rle))
    bbox = [float(v) for v in mask_utils.toBbox(rle)] if area else [0.0, 0.0, 0.0, 0.0]
    counts = rle["counts"]
    return (counts.decode("ascii") if isinstance(counts, bytes) else counts), bbox, area


def decode_mask(counts: str, height: int, width: int) -> np.ndarray:
    """Compressed RLE -> boolean (H, W) mask."""
    return mask_utils.decode({"size": [height, width], "counts": counts.encode("ascii")}).astype(bool)
