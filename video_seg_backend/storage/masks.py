"""Masks as COCO RLE (pycocotools): what the database stores, the API returns and the formats write.

An RLE here is a dict ``{"size": [height, width], "counts": str}`` (compressed, as COCO defines it);
the readers also take bytes counts and uncompressed (list) counts.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils


def encode_rle(mask: np.ndarray) -> dict:
    """Binary (H, W) mask to compressed RLE with str counts."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])], "counts": rle["counts"].decode("ascii")}


def _coco_rle(rle: dict) -> dict:
    counts = rle["counts"]
    size = [int(rle["size"][0]), int(rle["size"][1])]
    if isinstance(counts, list):  # uncompressed RLE
        return mask_utils.frPyObjects({"size": size, "counts": counts}, *size)
    if isinstance(counts, str):
        counts = counts.encode("ascii")
    return {"size": size, "counts": counts}


def normalize_rle(rle: dict) -> dict:
    """Any COCO RLE (compressed str/bytes or uncompressed list) to compressed with str counts."""
    coco = _coco_rle(rle)
    return {"size": coco["size"], "counts": coco["counts"].decode("ascii")}


def decode_rle(rle: dict) -> np.ndarray:
    """COCO RLE to a boolean (H, W) mask; raises ValueError for counts that are not an RLE."""
    return mask_utils.decode(_coco_rle(rle)).astype(bool)


def decode_mask(counts: str, height: int, width: int) -> np.ndarray:
    """The database's columns (compressed counts, height, width) to a boolean (H, W) mask."""
    return decode_rle({"size": [height, width], "counts": counts})


def rle_area(rle: dict) -> int:
    return int(mask_utils.area(_coco_rle(rle)))


def rle_bbox(rle: dict) -> list[float]:
    """[x, y, w, h] of the mask, as pycocotools computes it (0s for an empty mask)."""
    return [float(v) for v in mask_utils.toBbox(_coco_rle(rle))]
