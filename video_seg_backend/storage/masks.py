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


class InvalidRLE(ValueError):
    """Counts that are not a COCO RLE of the stated size."""


def rle_runs(counts: str | bytes) -> np.ndarray:
    """The run lengths of compressed COCO counts, as pycocotools' ``rleFrString`` reads them
    (6-bit characters from '0', 5 bits of value each, the last of a number carrying its sign,
    and run i > 2 stored as the difference to run i - 2). Vectorised: a full HD mask takes
    microseconds, so every mask from outside can be checked."""
    if isinstance(counts, str):
        if not counts.isascii():
            raise InvalidRLE("counts has characters outside the COCO RLE alphabet")
        counts = counts.encode("ascii")
    chars = np.frombuffer(counts, dtype=np.uint8).astype(np.int64) - 48
    if chars.size == 0:
        return np.zeros(0, dtype=np.int64)
    if chars.min() < 0 or chars.max() > 63:
        raise InvalidRLE("counts has characters outside the COCO RLE alphabet")
    more = (chars & 0x20) != 0
    if more[-1]:
        raise InvalidRLE("counts ends in the middle of a number")
    ends = np.flatnonzero(~more)
    starts = np.concatenate(([0], ends[:-1] + 1))
    lengths = ends - starts + 1
    if lengths.max() > 12:
        raise InvalidRLE("counts holds a number too large for a run length")
    group = np.repeat(np.arange(ends.size), lengths)
    shift = 5 * (np.arange(chars.size) - starts[group])
    values = np.zeros(ends.size, dtype=np.int64)
    np.add.at(values, group, (chars & 0x1F) << shift)
    negative = (chars[ends] & 0x10) != 0
    values[negative] |= np.left_shift(np.int64(-1), 5 * lengths[negative])
    runs = values.copy()
    runs[1::2] = np.cumsum(values[1::2])  # run i > 2 adds run i - 2: a running sum per parity
    runs[2::2] = np.cumsum(values[2::2])
    return runs


def check_rle(rle: object, height: int, width: int) -> dict:
    """A COCO RLE from outside (compressed or uncompressed counts) as compressed with str counts,
    after checking that it is a [height, width] mask whose runs cover every pixel exactly once.

    pycocotools checks none of this: short counts decode into uninitialised memory (random
    pixels), and uncompressed counts overflow its unsigned ints. Raises InvalidRLE."""
    if not isinstance(rle, dict) or "counts" not in rle or "size" not in rle:
        raise InvalidRLE("an RLE must be an object with 'size' [height, width] and 'counts'")
    size, counts = rle["size"], rle["counts"]
    if not (isinstance(size, list | tuple) and len(size) == 2 and all(type(v) is int for v in size)):
        raise InvalidRLE(f"RLE size must be [height, width], not {size!r}"[:200])
    if list(size) != [height, width]:
        raise InvalidRLE(f"RLE size {list(size)} must be [height, width] = [{height}, {width}]")
    if isinstance(counts, list):
        if not all(type(v) is int and 0 <= v <= height * width for v in counts):
            raise InvalidRLE("uncompressed RLE counts must be whole numbers from 0 to height x width")
        runs = np.asarray(counts, dtype=np.int64)
    elif isinstance(counts, str | bytes):
        runs = rle_runs(counts)
    else:
        raise InvalidRLE("RLE counts must be a COCO compressed string or a list of run lengths")
    if (runs < 0).any() or int(runs.sum()) != height * width:
        raise InvalidRLE(f"RLE counts do not cover the {width}x{height} mask exactly once")
    return normalize_rle({"size": [height, width], "counts": counts})


def rle_area(rle: dict) -> int:
    return int(mask_utils.area(_coco_rle(rle)))


def rle_bbox(rle: dict) -> list[float]:
    """[x, y, w, h] of the mask, as pycocotools computes it (0s for an empty mask)."""
    return [float(v) for v in mask_utils.toBbox(_coco_rle(rle))]
