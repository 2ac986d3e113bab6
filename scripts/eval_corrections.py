"""Do correction clicks on a tracked frame make its mask better? The OpenCV engine, measured.

A person fixing drift clicks on a frame whose mask was tracked: the clicks refine that mask (the
service passes it to the engine as the base). Here, on each DAVIS-layout sequence, the first
frame's true mask is tracked to the end; then on up to ``--frames`` frames whose tracked J is
below ``--below`` (evenly spread over the video, chosen by the tracked J alone, so every setting
corrects the same frames) up to ``--clicks`` simulated clicks (evaluation/clicker.py: the centre
of the largest error region, as the robot clicks) refine the tracked mask. It prints the mean IoU
before and after each click, how often a click made the mask worse, and by how much at worst.

    python scripts/eval_corrections.py [--data ../shared/data/vos] [--set correction_local=false] [seq ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scripts.tune_opencv_engine import find_sequences, load, make_config  # noqa: E402
from video_seg_backend.engine.base import ListFrames, PointPrompt  # noqa: E402
from video_seg_backend.engine.opencv import OpenCVEngine  # noqa: E402
from video_seg_backend.evaluation.clicker import next_click  # noqa: E402
from video_seg_backend.evaluation.metrics import jaccard  # noqa: E402
from video_seg_backend.evaluation.vos import scored_frames  # noqa: E402


def frames_to_fix(js: dict[int, float], below: float, count: int) -> list[int]:
    """Up to ``count`` frames with J below ``below``, evenly spread in time."""
    doubtful = [f for f, j in sorted(js.items()) if j < below]
    if len(doubtful) <= count:
        return doubtful
    return [doubtful[round(i * (len(doubtful) - 1) / (count - 1))] for i in range(count)]


def correct_sequence(name: str, root: Path, engine: OpenCVEngine, args: argparse.Namespace) -> list[list[float]]:
    """Per corrected frame, the IoU before any click and after each click."""
    frames, gts = load(root / name)
    session = engine.session(name, ListFrames(frames), lambda: [])
    engine.set_mask(session, 0, 1, gts[0])
    tracked = {i: masks[0].mask for i, masks in engine.propagate(session, [1], 0, "forward")}
    js = {i: jaccard(tracked[i], gts[i]) for i in scored_frames(len(frames))}
    curves = []
    for frame in frames_to_fix(js, args.below, args.frames):
        mask, prompts, curve = tracked[frame], [], [js[frame]]
        for _ in range(args.clicks):
            click = next_click(mask, gts[frame])
            if click is None:
                break
            prompts.append(PointPrompt(click[0], click[1], click[2]))
            mask = engine.segment(session, frame, 1, prompts, base_mask=tracked[frame]).mask
            curve.append(jaccard(mask, gts[frame]))
        curve += [curve[-1]] * (args.clicks + 1 - len(curve))  # a perfect mask stays perfect
        curves.append(curve)
    engine.forget(name)
    return curves


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequences", nargs="*", help="default: every single-object sequence in --data")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/vos")
    parser.add_argument("--set", action="append", default=[], help="an OpenCVConfig setting, key=value")
    parser.add_argument("--frames", type=int, default=6, help="frames corrected per sequence")
    parser.add_argument("--below", type=float, default=0.8, help="correct frames whose tracked J is below this")
    parser.add_argument("--clicks", type=int, default=3, help="clicks per corrected frame")
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.set)
    engine = OpenCVEngine(make_config(overrides))
    names = args.sequences or find_sequences(args.data)
    every: list[list[float]] = []
    print(f"# settings: {overrides or 'defaults'}; {args.clicks} clicks on up to {args.frames} frames a sequence "
          f"with tracked J < {args.below}")  # fmt: skip
    print("| sequence | frames | IoU before | " + " | ".join(f"after {k}" for k in range(1, args.clicks + 1))
          + " | clicks that made it worse |")  # fmt: skip
    print("|---" * (args.clicks + 4) + "|")
    for name in names:
        curves = correct_sequence(name, args.data, engine, args)
        every += curves
        if curves:
            print(row(name, curves))
    print(row("**all**", every))
    drops = [b - a for c in every for a, b in zip(c, c[1:], strict=False) if b < a]
    mean_drop = -statistics.fmean(drops) if drops else 0.0
    print(f"\n{len(drops)} of {len(every) * args.clicks} clicks made the mask worse; "
          f"worst drop {-min(drops, default=0.0):.3f}, mean drop {mean_drop:.3f}")  # fmt: skip


def row(name: str, curves: list[list[float]]) -> str:
    means = np.mean(np.array(curves), axis=0)
    worse = sum(b < a for c in curves for a, b in zip(c, c[1:], strict=False))
    return f"| {name} | {len(curves)} | " + " | ".join(f"{m:.3f}" for m in means) + f" | {worse} |"


if __name__ == "__main__":
    main()
