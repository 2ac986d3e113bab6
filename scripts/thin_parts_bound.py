#!/usr/bin/env python
"""How much of the OpenCV engine's first-frame error is thin parts: an upper bound, not a method.

    python scripts/thin_parts_bound.py [--data ../shared/data/vos] [--width 9] [--set k=v ...] [seq ...]

For each sequence, the frame-0 mask from five simulated clicks and from the true mask's box (as
``tune_opencv_engine.py --first-only`` makes them), its IoU with the truth, and the IoU it would
have if the true mask's thin parts that it misses were added: the truth less its opening by a disc
``--width`` pixels wide (tyres, ropes, kite lines, a hockey stick, rigging). The gap between the two
means is what a method that finds thin parts could win at most.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tune_opencv_engine import find_sequences, first_mask, load, make_config  # noqa: E402

from video_seg_backend.engine.base import ListFrames  # noqa: E402
from video_seg_backend.engine.opencv import OpenCVEngine  # noqa: E402
from video_seg_backend.evaluation.metrics import jaccard  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequences", nargs="*")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/vos"))
    parser.add_argument("--width", type=int, default=9, help="parts narrower than this disc (pixels) are thin")
    parser.add_argument("--set", action="append", default=[], help="config override, e.g. box_thin_contrast=0")
    args = parser.parse_args()
    config = make_config(dict(kv.split("=", 1) for kv in args.set))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (args.width, args.width))
    rows = []
    print(f"{'sequence':<16} {'thin share':>10} {'clicks':>7} {'+thin':>7} {'box':>7} {'+thin':>7}")
    for name in args.sequences or find_sequences(args.data):
        frames, gts = load(args.data / name, first_only=True)
        truth = gts[0]
        thin = truth & ~(cv2.morphologyEx(truth.astype(np.uint8), cv2.MORPH_OPEN, disc) > 0)
        row = [float(thin.sum() / max(1, truth.sum()))]
        for mode in ("clicks", "box"):
            engine = OpenCVEngine(config)
            session = engine.session(name, ListFrames(frames), lambda: [])
            mask, _, _ = first_mask(engine, session, truth, mode, 5)
            row += [jaccard(mask, truth), jaccard(mask | thin, truth)]
        rows.append(row)
        print(f"{name:<16} {row[0]:>10.3f} " + " ".join(f"{v:>7.3f}" for v in row[1:]), flush=True)
    means = np.mean(rows, axis=0)
    print(f"{'mean':<16} {means[0]:>10.3f} " + " ".join(f"{v:>7.3f}" for v in means[1:]))


if __name__ == "__main__":
    main()
