"""Writes src/lib/canvas/fixtures/rle.json: masks and their COCO RLE as pycocotools encodes them.

The vitest spec decodes each `rle` and compares it with `mask` (row-major 0/1 string), so the
front end's decoder is checked against the reference implementation, not against itself.

Run: /work/main/.venv/bin/python scripts/make_rle_fixtures.py   (from video_seg_frontend/)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

OUT = Path(__file__).resolve().parents[1] / "src" / "lib" / "canvas" / "fixtures" / "rle.json"


def case(name: str, mask: np.ndarray, full: bool = True) -> dict:
    """One fixture; `full=False` stores sampled pixels instead of every pixel (keeps the file small)."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    out = {
        "name": name,
        "rle": {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")},
        "area": int(mask_utils.area(rle)),
        "bbox": [int(v) for v in mask_utils.toBbox(rle)],
    }
    if full:
        out["mask"] = "".join("1" if v else "0" for v in mask.astype(bool).ravel(order="C"))
    else:
        rng = np.random.default_rng(1)
        h, w = mask.shape
        ys, xs = rng.integers(0, h, 200), rng.integers(0, w, 200)
        out["samples"] = [[int(x), int(y), int(mask[y, x])] for x, y in zip(xs, ys)]
    return out


def main() -> None:
    rng = np.random.default_rng(7)
    cases = []
    cases.append(case("empty 4x5", np.zeros((4, 5), bool)))
    cases.append(case("full 3x7", np.ones((3, 7), bool)))
    m = np.zeros((6, 9), bool)
    m[0, 0] = True
    cases.append(case("single top-left pixel 6x9", m))
    m = np.zeros((6, 9), bool)
    m[5, 8] = True
    cases.append(case("single bottom-right pixel 6x9", m))
    m = np.zeros((20, 31), bool)
    m[3:12, 5:22] = True
    cases.append(case("rectangle 20x31 (non-square)", m))
    yy, xx = np.mgrid[0:48, 0:64]
    cases.append(case("disc 48x64", (xx - 30) ** 2 + (yy - 20) ** 2 < 15**2))
    cases.append(case("random noise 17x23", rng.random((17, 23)) > 0.5))
    cases.append(case("sparse noise 40x50", rng.random((40, 50)) > 0.97))
    # Long runs need many 5-bit digits and exercise the sign bit of the differences.
    m = np.zeros((480, 854), bool)
    m[100:380, 200:600] = True
    m[0:5, 850:854] = True
    cases.append(case("big frame 480x854", m, full=False))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(cases) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
