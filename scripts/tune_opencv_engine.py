"""Measure the OpenCV engine on DAVIS-layout sequences: clicks on frame 0, then tracking to the end.

    python scripts/tune_opencv_engine.py [--data /work/shared/data/vos] [--clicks 5] [seq ...]

For each sequence: up to ``--clicks`` simulated clicks on frame 0 (each at the centre of the largest
error region, positive inside a missed area, negative inside a false one), then forward tracking.
Prints J (region IoU), F (boundary F-measure) and J&F over the tracked frames (the first frame
excluded, as DAVIS does not score it), the first-frame IoU, and tracking frames/s (frames preloaded
in memory, so it measures the engine, not JPEG decoding).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.engine.base import ListFrames, PointPrompt  # noqa: E402
from video_seg_backend.engine.opencv_engine import OpenCVConfig, OpenCVEngine  # noqa: E402
from video_seg_backend.evaluation.clicker import next_click  # noqa: E402
from video_seg_backend.evaluation.metrics import f_measure, jaccard  # noqa: E402


def load(seq_dir: Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    images = sorted((seq_dir / "JPEGImages").glob("*.jpg"))
    frames = [cv2.imread(str(p))[:, :, ::-1].copy() for p in images]
    gts = [cv2.imread(str(seq_dir / "Annotations" / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 0 for p in images]
    return frames, gts


def evaluate(seq_dir: Path, engine: OpenCVEngine, max_clicks: int) -> dict[str, float]:
    frames, gts = load(seq_dir)
    source = ListFrames(frames)
    session = engine.session(seq_dir.name, source, lambda: [])
    prompts: list[PointPrompt] = []
    pred = np.zeros_like(gts[0])
    first_ious = []
    for _ in range(max_clicks):
        click = next_click(pred, gts[0])
        if click is None:
            break
        prompts.append(PointPrompt(click[0], click[1], click[2]))
        pred = engine.segment(session, 0, 1, prompts).mask
        first_ious.append(jaccard(pred, gts[0]))
    start = time.perf_counter()
    results = {}
    for index, masks in engine.propagate(session, [1], 0, "forward"):
        results[index] = masks[0].mask
    elapsed = time.perf_counter() - start
    scored = range(1, len(frames))
    j = float(np.mean([jaccard(results[i], gts[i]) for i in scored]))
    f = float(np.mean([f_measure(results[i], gts[i]) for i in scored]))
    engine.forget(seq_dir.name)
    return {
        "clicks": len(prompts),
        "first_iou": first_ious[-1] if first_ious else 0.0,
        "J": j,
        "F": f,
        "JF": (j + f) / 2,
        "fps": (len(frames) - 1) / elapsed,
        "ious": " ".join(f"{v:.2f}" for v in first_ious),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sequences", nargs="*", default=["blackswan", "drift-chicane", "motocross-jump", "dog-agility"])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/vos"))
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], help="config override, e.g. track_max_side=400")
    args = parser.parse_args()
    config = OpenCVConfig()
    for item in args.set:
        name, value = item.split("=", 1)
        setattr(config, name, type(getattr(config, name))(value))
    engine = OpenCVEngine(config)
    print(f"{'sequence':16} clicks first-IoU      J      F   J&F    fps  (IoU after each click)")
    rows = []
    for name in args.sequences:
        r = evaluate(args.data / name, engine, args.clicks)
        rows.append(r)
        print(
            f"{name:16} {r['clicks']:6d} {r['first_iou']:9.3f} {r['J']:6.3f} {r['F']:6.3f} "
            f"{r['JF']:5.3f} {r['fps']:6.1f}  ({r['ious']})",
            flush=True,
        )
    if rows:
        mean = {k: float(np.mean([r[k] for r in rows])) for k in ("first_iou", "J", "F", "JF", "fps")}
        print(
            f"{'mean':16} {'':6} {mean['first_iou']:9.3f} {mean['J']:6.3f} {mean['F']:6.3f} "
            f"{mean['JF']:5.3f} {mean['fps']:6.1f}"
        )


if __name__ == "__main__":
    main()
