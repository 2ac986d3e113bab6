#!/usr/bin/env python
"""What working at a reduced size costs a click's mask at most: an upper bound, not a method.

    python scripts/working_size_bound.py [--data ../shared/data/vos] [--max-side 400 600] [--every 10] [seq ...]

GrabCut for a click runs on the region of interest around the object scaled so its longer side is
at most ``segment_max_side`` (600), and its mask is scaled back to the frame (engine/opencv/cut.py:
area-averaged down, bilinear up, > 0.5). For every ``--every``-th frame of each sequence this takes
the true mask itself through that round trip, in the region of interest a click would get (the
true mask's box and cut.py's margin), and prints its IoU with the truth: what a perfect GrabCut at
that size could reach. The mean is over sequences (each the mean of its frames).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tune_opencv_engine import find_sequences  # noqa: E402

from video_seg_backend.engine.opencv import OpenCVConfig  # noqa: E402
from video_seg_backend.engine.opencv.cut import region_of_interest, to_frame  # noqa: E402
from video_seg_backend.evaluation.metrics import jaccard  # noqa: E402


def round_trip(truth: np.ndarray, max_side: int, config: OpenCVConfig) -> np.ndarray:
    """``truth`` (H, W bool) scaled down and back as cut.py scales a click's mask, in the region of
    interest a click around the truth's box gets."""
    ys, xs = np.nonzero(truth)
    extent = (float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1))
    region = region_of_interest(extent, truth.shape, config)
    rx0, ry0, rx1, ry1 = region
    roi = truth[ry0:ry1, rx0:rx1].astype(np.float32)
    scale = min(1.0, max_side / max(roi.shape))
    if scale < 1.0:
        roi = cv2.resize(roi, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return to_frame(roi > 0.5, region, truth.shape)


def main() -> None:
    config = OpenCVConfig()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequences", nargs="*")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/vos"))
    parser.add_argument("--max-side", type=int, nargs="+", default=[config.segment_max_side])
    parser.add_argument("--every", type=int, default=10, help="every n-th frame of a sequence")
    args = parser.parse_args()
    print(f"{'sequence':<16} " + " ".join(f"{side:>7}" for side in args.max_side))
    rows = []
    for name in args.sequences or find_sequences(args.data):
        scores: list[list[float]] = [[] for _ in args.max_side]
        for path in sorted((args.data / name / "Annotations").glob("*.png"))[:: args.every]:
            truth = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 0
            if truth.any():
                for k, side in enumerate(args.max_side):
                    scores[k].append(jaccard(round_trip(truth, side, config), truth))
        row = [float(np.mean(s)) for s in scores]
        rows.append(row)
        print(f"{name:<16} " + " ".join(f"{v:>7.3f}" for v in row), flush=True)
    print(f"{'mean':<16} " + " ".join(f"{v:>7.3f}" for v in np.mean(rows, axis=0)))


if __name__ == "__main__":
    main()
