#!/usr/bin/env python
"""Are two look-alike objects kept apart? The OpenCV engine with and without ``keep_apart``.

    python scripts/eval_objects_apart.py [--video ../shared/data/videos/02_cups.mp4]

No DAVIS sequence here has two objects, so the figures come from seeded synthetic scenes with their
truth on every frame (evaluation/look_alikes.py): two blocks of the same colours that touch and
part, and one that slides in front of a still one and on past it. For each, tracked from the true
masks of frame 0: the mean and lowest IoU of each object, its IoU on the last frame, and the frames
where the two masks share pixels. With ``--video`` (no truth: a real clip such as the three cups
of a shell game), boxes given with ``--box id:x0,y0,x1,y1`` are segmented on frame 0 and tracked
to the end: frames where masks overlap, pixels they share, and tracking time; with ``--every N``
also each object's mask area and centre every N frames (where a mask went, on a clip with no
truth). ``--keep`` limits the runs to keep_apart on (``on``) or off (``off``).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.engine.base import BoxPrompt, ListFrames  # noqa: E402
from video_seg_backend.engine.opencv import OpenCVConfig, OpenCVEngine  # noqa: E402
from video_seg_backend.evaluation.look_alikes import crossing, touching  # noqa: E402
from video_seg_backend.evaluation.metrics import jaccard  # noqa: E402

# The three cups of 02_cups.mp4 on frame 0 (1280x720): in the hand at the top left, and two on the table.
CUPS = ["1:255,0,440,200", "2:565,285,740,545", "3:830,285,1005,545"]


def shared_pixels(masks: dict[int, np.ndarray]) -> int:
    ids = sorted(masks)
    return sum(int(np.logical_and(masks[a], masks[b]).sum()) for i, a in enumerate(ids) for b in ids[i + 1 :])


def scene_figures(name: str, scene, keep: bool) -> None:
    frames, truths = scene
    engine = OpenCVEngine(OpenCVConfig(keep_apart=keep))
    session = engine.session(name, ListFrames(frames), lambda: [])
    ious: dict[int, list[float]] = {1: [], 2: []}
    overlapping = 0
    for index, masks in engine.propagate(session, [1, 2], 0, "forward", start_masks=truths[0]):
        by_id = {m.object_id: m.mask for m in masks}
        for object_id in ious:
            ious[object_id].append(jaccard(by_id[object_id], truths[index][object_id]))
        overlapping += shared_pixels(by_id) > 0
    parts = [f"object {o}: mean {np.mean(v):.3f} lowest {min(v):.3f} last {v[-1]:.3f}" for o, v in sorted(ious.items())]
    print(f"  {name:<9} keep_apart={str(keep):<5} " + " | ".join(parts) + f" | frames sharing pixels {overlapping}")


def clip_figures(path: Path, boxes: dict[int, BoxPrompt], keep: bool, every: int = 0) -> None:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    engine = OpenCVEngine(OpenCVConfig(keep_apart=keep))
    session = engine.session(path.name, ListFrames(frames), lambda: [])
    for object_id, box in boxes.items():
        engine.segment(session, 0, object_id, [box])
    start = time.perf_counter()
    overlapping, pixels = 0, 0
    for index, masks in engine.propagate(session, sorted(boxes), 0, "forward"):
        shared = shared_pixels({m.object_id: m.mask for m in masks})
        overlapping += shared > 0
        pixels += shared
        if every and index % every == 0:
            where = []
            for m in masks:
                ys, xs = np.nonzero(m.mask)
                centre = f"({xs.mean():.0f}, {ys.mean():.0f})" if len(xs) else "-"
                where.append(f"object {m.object_id} {len(xs)} px at {centre}")
            print(f"    frame {index}: " + ", ".join(where))
    seconds = time.perf_counter() - start
    print(
        f"  {path.name} keep_apart={str(keep):<5} frames where masks share pixels {overlapping} of {len(frames)}, "
        f"{pixels / len(frames):.0f} shared pixels a frame, {len(frames) / seconds:.1f} frames/s "
        f"({len(boxes)} objects)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--video", type=Path, help="a real clip to track the boxes through (no truth)")
    parser.add_argument("--box", action="append", help="id:x0,y0,x1,y1 on frame 0 (default: the cups)")
    parser.add_argument("--every", type=int, default=0, help="print each mask's area and centre every N frames")
    parser.add_argument("--keep", choices=("on", "off", "both"), default="both")
    args = parser.parse_args()
    print("synthetic scenes (evaluation/look_alikes.py), IoU with the truth:")
    for name, scene in (("touching", touching()), ("crossing", crossing())):
        for keep in (False, True):
            scene_figures(name, scene, keep)
    if args.video:
        boxes = {}
        for spec in args.box or CUPS:
            object_id, corners = spec.split(":")
            boxes[int(object_id)] = BoxPrompt(*(float(v) for v in corners.split(",")))
        print(f"{args.video} (no truth):")
        for keep in {"on": (True,), "off": (False,), "both": (False, True)}[args.keep]:
            clip_figures(args.video, boxes, keep, args.every)


if __name__ == "__main__":
    main()
