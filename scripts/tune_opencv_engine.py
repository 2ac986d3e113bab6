"""Measure the OpenCV engine on DAVIS-layout sequences, on all of them and cross-validated.

    python scripts/tune_opencv_engine.py [--data ../shared/data/vos] [--modes truth,clicks,box]
        [--grid track_max_side=320,400 --grid band_fraction=0.1,0.15] [--choice "flow_weight=0.5" ...]
        [--repeat 3] [seq ...]

Modes, each on frame 0 then forward tracking to the last frame:

- ``truth``: the first frame's true mask is imported (semi-supervised VOS, as DAVIS scores it);
- ``clicks``: up to ``--clicks`` simulated clicks (evaluation/clicker.py: centre of the largest
  error region) make the first mask;
- ``box``: the true mask's bounding box alone makes the first mask;
- ``eroded`` / ``dilated``: the true mask 2 px smaller / larger all round is imported (a person's
  mask is never exactly the truth: how much the tracking depends on its outline);
- ``drawn-box``: boxes as a person draws them, never to the pixel: the true box with each side
  moved by up to ``--box-jitter`` px (default 3), ``--drawn-boxes`` of them a sequence (default 6,
  seeded), every figure the mean over them; how much the box result depends on its exact pixels;
- ``hand-clicks``: clicks as a person places them, never on the exact pixel: each of the
  ``clicks`` mode's clicks moved by up to ``--click-jitter`` px (default 3) and kept in the error
  region it was aimed at, ``--hand-clicks`` click sequences a sequence (default 6, seeded), every
  figure the mean over them. One click that lands a few pixels off can move a sequence's
  five-click IoU by 0.05 or more (GrabCut's answer is not smooth in its input), so the plain
  ``clicks`` mean moves by ~0.01 from settings that change nothing that matters; this mean does
  not, and compares settings more fairly.

J, F and J&F are averaged over the DAVIS-scored frames (first and last left out). Frames are
preloaded, so frames/s measures the engine (tracking only), not JPEG decoding.

With ``--grid`` every combination of settings (and each ``--choice``; an empty one is the
defaults) is run on every sequence; the script then prints the mean on all sequences for each
setting and the cross-validated mean: leave-one-out (each sequence scored with the setting that is
best on the others) and two folds fixed by a seeded shuffle (setting chosen on one fold, scored on
the other, both ways). The cross-validated figure is the one to quote: a setting chosen on the
sequences that measure it flatters itself.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.engine.base import BoxPrompt, ListFrames, PointPrompt, Prompt  # noqa: E402
from video_seg_backend.engine.opencv import OpenCVConfig, OpenCVEngine  # noqa: E402
from video_seg_backend.evaluation.clicker import error_regions, mask_box, next_click  # noqa: E402
from video_seg_backend.evaluation.metrics import f_measure, jaccard  # noqa: E402
from video_seg_backend.evaluation.vos import scored_frames  # noqa: E402

MODES = ("truth", "clicks", "box")
DRAWN = "drawn-box"
HAND = "hand-clicks"
PERTURBED = {"eroded": cv2.erode, "dilated": cv2.dilate}  # by a 5x5 square: 2 px all round
Sequence = tuple[list[np.ndarray], list[np.ndarray]]


def find_sequences(root: Path) -> list[str]:
    """Single-object sequences with ground truth on every frame (the multi-object sample left out)."""
    names = []
    for folder in sorted(p for p in root.iterdir() if (p / "JPEGImages").is_dir()):
        frames = list((folder / "JPEGImages").glob("*.jpg"))
        masks = list((folder / "Annotations").glob("*.png"))
        if len(frames) >= 3 and len(masks) == len(frames):
            names.append(folder.name)
    return names


def load(seq_dir: Path, first_only: bool = False) -> Sequence:
    """Frames (RGB) and true masks; with ``first_only`` the first four frames' alone (a click sweep
    reads a few JPEGs a sequence instead of all of them; a box looks at the frames after it)."""
    images = sorted((seq_dir / "JPEGImages").glob("*.jpg"))[: 4 if first_only else None]
    frames = [cv2.imread(str(p))[:, :, ::-1].copy() for p in images]
    # DAVIS 2016: any non-zero label is the object.
    gts = [cv2.imread(str(seq_dir / "Annotations" / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 0 for p in images]
    return frames, gts


def first_mask(
    engine: OpenCVEngine,
    session: object,
    gt: np.ndarray,
    mode: str | BoxPrompt,
    max_clicks: int,
    hand: tuple[int, int] | None = None,
) -> tuple[np.ndarray, float, list[float]]:
    """The frame-0 mask of the mode (stored as the session's key frame), the seconds of its
    slowest prompt step (one click, or the box) and, for clicks, the IoU after each click (up to
    ``max_clicks``; the last one repeated where the clicker found no error left); ``mode`` may be
    the box itself; ``hand`` = (seed, jitter): each click moved as ``hand_click`` moves it."""
    if mode == "truth":
        engine.set_mask(session, 0, 1, gt)
        return gt, 0.0, []
    if mode in PERTURBED:
        mask = PERTURBED[mode](gt.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        engine.set_mask(session, 0, 1, mask)
        return mask, 0.0, []
    prompts: list[Prompt] = []
    if mode == "box" or isinstance(mode, BoxPrompt):
        prompts.append(mode if isinstance(mode, BoxPrompt) else tight_box(gt))
        start = time.perf_counter()
        mask = engine.segment(session, 0, 1, prompts).mask
        return mask, time.perf_counter() - start, []
    pred = np.zeros_like(gt)
    slowest = 0.0
    ious: list[float] = []
    rng, jitter = (np.random.default_rng(hand[0]), hand[1]) if hand else (None, 0)
    for _ in range(max_clicks):
        click = next_click(pred, gt)
        if click is None:
            break
        if rng is not None:
            click = hand_click(click, pred, gt, rng, jitter)
        prompts.append(PointPrompt(click[0], click[1], click[2]))
        start = time.perf_counter()
        pred = engine.segment(session, 0, 1, prompts).mask
        slowest = max(slowest, time.perf_counter() - start)
        ious.append(jaccard(pred, gt))
    return pred, slowest, ious + ious[-1:] * (max_clicks - len(ious)) if ious else []


def click_figures(ious: list[float]) -> dict[str, float]:
    """A click sequence's IoU after each click (``iou@k``, k from 1), and how many of its clicks
    made the mask worse than the click before (``worse``, by more than 0.001) and by how much in
    all (``drop``); empty for a mode without clicks."""
    if not ious:
        return {}
    steps = [b - a for a, b in itertools.pairwise(ious)]
    figures = {f"iou@{k}": v for k, v in enumerate(ious, 1)}
    figures["worse"] = float(sum(d < -0.001 for d in steps))
    figures["drop"] = float(-sum(d for d in steps if d < -0.001))
    return figures


def hand_click(
    click: tuple[float, float, bool], pred: np.ndarray, gt: np.ndarray, rng: np.random.Generator, jitter: int
) -> tuple[float, float, bool]:
    """``click`` moved as a hand misses the exact pixel: by up to ``jitter`` px (uniform in a disc),
    staying in the error region it was aimed at (missed pixels for a positive click, false ones
    for a negative); where ten draws all leave the region, the click stays."""
    x, y, positive = click
    missed, false = error_regions(pred, gt)
    region = missed if positive else false
    height, width = region.shape
    for _ in range(10):
        dx, dy = (int(v) for v in rng.integers(-jitter, jitter + 1, 2))
        nx, ny = int(x) + dx, int(y) + dy
        if dx * dx + dy * dy <= jitter * jitter and 0 <= nx < width and 0 <= ny < height and region[ny, nx]:
            return float(nx), float(ny), positive
    return click


def tight_box(gt: np.ndarray) -> BoxPrompt:
    """The true mask's bounding box (pixel edges: the last row and column inside it)."""
    box = mask_box(gt)
    assert box is not None, "a sequence's first frame shows its object"
    return BoxPrompt(*box)


def drawn_boxes(gt: np.ndarray, count: int, jitter: int, seed: int = 0) -> list[BoxPrompt]:
    """``count`` boxes around the true mask as a hand draws them: each side of the tight box moved
    in or out by up to ``jitter`` pixels (uniform, seeded), kept inside the frame."""
    h, w = gt.shape
    box = tight_box(gt)
    tight = np.array([box.x0, box.y0, box.x1, box.y1])
    rng = np.random.default_rng(seed)
    boxes = []
    for _ in range(count):
        x0, y0, x1, y1 = np.clip(tight + rng.integers(-jitter, jitter + 1, 4), 0, [w, h, w, h])
        boxes.append(BoxPrompt(float(x0), float(y0), float(max(x1, x0 + 1)), float(max(y1, y0 + 1))))
    return boxes


def evaluate(
    name: str,
    seq: Sequence,
    engine: OpenCVEngine,
    mode: str | BoxPrompt,
    max_clicks: int,
    track: bool = True,
    boxes: tuple[int, int] = (6, 3),
    hands: tuple[int, int] = (6, 3),
    hand: tuple[int, int] | None = None,
) -> dict[str, float]:
    """One sequence's figures in one mode; ``drawn-box``: the mean over ``boxes`` = (count, jitter)
    drawn boxes, ``hand-clicks`` over ``hands`` = (count, jitter) click sequences (the slowest
    prompt step, the largest); ``hand`` = (seed, jitter) of one such click sequence."""
    if mode in (DRAWN, HAND):
        if mode == DRAWN:
            runs = [evaluate(name, seq, engine, box, max_clicks, track) for box in drawn_boxes(seq[1][0], *boxes)]
        else:
            count, jitter = hands
            runs = [
                evaluate(name, seq, engine, "clicks", max_clicks, track, hand=(seed, jitter)) for seed in range(count)
            ]
        mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        mean["step_s"] = max(r["step_s"] for r in runs)
        return mean
    frames, gts = seq
    session = engine.session(name, ListFrames(frames), lambda: [])
    first, step_s, ious = first_mask(engine, session, gts[0], mode, max_clicks, hand)
    clicks = click_figures(ious)
    if not track:
        engine.forget(name)
        nan = float("nan")
        return {"first": jaccard(first, gts[0]), "J": nan, "F": nan, "JF": nan, "fps": nan, "step_s": step_s, **clicks}
    start = time.perf_counter()
    results = {index: masks[0].mask for index, masks in engine.propagate(session, [1], 0, "forward")}
    elapsed = time.perf_counter() - start
    engine.forget(name)
    scored = scored_frames(len(frames))
    j = float(np.mean([jaccard(results[i], gts[i]) for i in scored]))
    f = float(np.mean([f_measure(results[i], gts[i]) for i in scored]))
    fps = (len(frames) - 1) / elapsed
    return {"first": jaccard(first, gts[0]), "J": j, "F": f, "JF": (j + f) / 2, "fps": fps, "step_s": step_s, **clicks}


def parse_grid(items: list[str]) -> list[dict[str, str]]:
    axes = []
    for item in items:
        field, values = item.split("=", 1)
        axes.append([(field, v) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)]


def make_config(overrides: dict[str, str]) -> OpenCVConfig:
    config = OpenCVConfig()
    for field, value in overrides.items():
        kind = type(getattr(config, field))
        setattr(config, field, (value.lower() in ("1", "true")) if kind is bool else kind(value))
    return config


def cross_validate(
    table: list[dict[str, dict[str, float]]], names: list[str], key: str, by: str = "JF"
) -> dict[str, float]:
    """Cross-validated mean of ``key``: table[setting][sequence] -> row, best setting by mean ``by``.

    Where the training sequences cannot tell settings apart (a setting that changes only
    sequences held out ties with the defaults), the first listed is taken; ``*_low`` and
    ``*_high`` are the figure had the worst or the best of the tied settings been taken instead,
    so a figure that rests on that order says so."""

    def tied(on: list[str]) -> list[int]:
        means = [float(np.mean([table[s][n][by] for n in on])) for s in range(len(table))]
        top = max(means)
        return [s for s, m in enumerate(means) if m >= top - 1e-9]

    def held_out(folds: list[tuple[list[str], list[str]]]) -> tuple[float, float, float]:
        first, low, high = [], [], []
        for train, test in folds:
            scores = [float(np.mean([table[s][n][key] for n in test])) for s in tied(train)]
            first.append(scores[0] * len(test))
            low.append(min(scores) * len(test))
            high.append(max(scores) * len(test))
        count = sum(len(test) for _, test in folds)
        return sum(first) / count, sum(low) / count, sum(high) / count

    loo = held_out([([m for m in names if m != n], [n]) for n in names])
    shuffled = names[:]
    random.Random(0).shuffle(shuffled)
    half = len(shuffled) // 2
    a, b = shuffled[:half], shuffled[half:]
    two = held_out([(a, b), (b, a)])
    return {
        "loo": loo[0],
        "loo_low": loo[1],
        "loo_high": loo[2],
        "two_fold": two[0],
        "two_fold_low": two[1],
        "two_fold_high": two[2],
    }


def cv_line(key: str, cv: dict[str, float]) -> str:
    """One printed line of cross-validated figures, with the range over tied choices if any."""

    def figure(name: str) -> str:
        low, high = cv[f"{name}_low"], cv[f"{name}_high"]
        spread = f" (ties: {low:.3f}-{high:.3f})" if high - low > 5e-4 else ""
        return f"{cv[name]:.3f}{spread}"

    return f"  {key:6} leave-one-out {figure('loo')}  two-fold {figure('two_fold')}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sequences", nargs="*", help="default: every single-object sequence under --data")
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/data/vos")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--clicks", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], help="fixed config override, e.g. track_max_side=400")
    parser.add_argument("--grid", action="append", default=[], help="values to choose from: band_fraction=0.1,0.15")
    parser.add_argument(
        "--choice", action="append", default=[], help='one setting to choose from: "band_fraction=0.2 flow_weight=0.5"'
    )
    parser.add_argument("--drawn-boxes", type=int, default=6, help=f"{DRAWN} mode: boxes a sequence")
    parser.add_argument("--box-jitter", type=int, default=3, help=f"{DRAWN} mode: most pixels a side moves")
    parser.add_argument("--hand-clicks", type=int, default=6, help=f"{HAND} mode: click sequences a sequence")
    parser.add_argument("--click-jitter", type=int, default=3, help=f"{HAND} mode: most pixels a click moves")
    parser.add_argument("--first-only", action="store_true", help="score the frame-0 mask only (no tracking)")
    parser.add_argument("--save", type=Path, help="write every per-sequence row here (JSON)")
    parser.add_argument(
        "--load", type=Path, nargs="+", help="only cross-validate the settings saved by earlier --save runs together"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs of each setting (frames/s: best and median; prompt-step seconds: best)",
    )
    args = parser.parse_args()
    if args.load:
        merge_saved(args.load, "first" if args.first_only else "JF")
        return
    names = args.sequences or find_sequences(args.data)
    data = {n: load(args.data / n, args.first_only) for n in names}
    fixed = dict(item.split("=", 1) for item in args.set)
    settings = parse_grid(args.grid) if args.grid else []
    settings += [dict(kv.split("=", 1) for kv in choice.split()) for choice in args.choice]
    settings = settings or [{}]
    print(f"{len(names)} sequences: {' '.join(names)}")
    saved: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    boxes = (args.drawn_boxes, args.box_jitter)
    hands = (args.hand_clicks, args.click_jitter)
    for mode in args.modes.split(","):
        table: list[dict[str, dict[str, float]]] = []
        for overrides in settings:
            engine = OpenCVEngine(make_config({**fixed, **overrides}))
            label = " ".join(f"{k}={v}" for k, v in overrides.items()) or "defaults"
            runs: list[dict[str, dict[str, float]]] = []
            for _ in range(args.repeat):
                runs.append(
                    {
                        n: evaluate(n, data[n], engine, mode, args.clicks, not args.first_only, boxes, hands)
                        for n in names
                    }
                )
            rows = runs[0]
            for n in names:
                # Timing noise (other processes) only ever adds: the best of the repeats is the figure.
                rows[n]["step_s"] = min(run[n]["step_s"] for run in runs)
            table.append(rows)
            saved.setdefault(mode, {})[" ".join(f"{k}={v}" for k, v in {**fixed, **overrides}.items())] = rows
            print(f"\n[{mode}] {label}  (mean on all {len(names)} sequences)")
            # step-s: seconds of the slowest frame-0 prompt step (one click, or the box).
            print(f"{'sequence':16} first-IoU      J      F    J&F    fps  step-s")
            for n in names:
                r = rows[n]
                print(
                    f"{n:16} {r['first']:9.3f} {r['J']:6.3f} {r['F']:6.3f} {r['JF']:6.3f} {r['fps']:6.1f}"
                    f" {r['step_s']:7.2f}"
                )
            mean = {k: float(np.mean([rows[n][k] for n in names])) for k in ("first", "J", "F", "JF")}
            # Frames/s of the whole run (total frames / total time), one figure per repeat.
            total_frames = sum(len(data[n][0]) - 1 for n in names)
            fps = [total_frames / sum((len(data[n][0]) - 1) / run[n]["fps"] for n in names) for run in runs]
            print(
                f"{'all-sequences':16} {mean['first']:9.3f} {mean['J']:6.3f} {mean['F']:6.3f} {mean['JF']:6.3f}"
                f"  fps best {max(fps):.1f} median {statistics.median(fps):.1f} of {len(fps)}"
            )
            if mode not in ("truth", *PERTURBED):
                steps = [rows[n]["step_s"] for n in names]
                print(
                    f"{'':16} slowest prompt step {max(steps):.2f} s, median {statistics.median(steps):.2f} s"
                    f" (by sequence, best of {len(runs)})"
                )
            if "worse" in rows[names[0]]:
                print(click_line(rows, names, mode == HAND))
        if len(settings) > 1:
            by = "first" if args.first_only else "JF"
            print(f"\n[{mode}] cross-validated over {len(settings)} settings (chosen by {by} on the other sequences)")
            for key in ("first", "J", "F", "JF"):
                print(cv_line(key, cross_validate(table, names, key, by)))
        else:
            print(f"[{mode}] one setting, nothing chosen on the data: the all-sequences mean is also held-out")
    if args.save:
        args.save.write_text(json.dumps(saved, indent=1))


def click_line(rows: dict[str, dict[str, float]], names: list[str], averaged: bool) -> str:
    """The mean IoU after each click over the sequences, and the clicks that made a mask worse
    (with ``averaged``, a sequence's figures are means over its click sequences)."""
    count = sum(1 for key in rows[names[0]] if key.startswith("iou@"))
    after = " ".join(f"{np.mean([rows[n][f'iou@{k}'] for n in names]):.3f}" for k in range(1, count + 1))
    worse = sum(rows[n]["worse"] for n in names)
    drop = sum(rows[n]["drop"] for n in names)
    per = " a click sequence" if averaged else ""
    shown = f"{worse:.1f}" if averaged else f"{worse:g}"
    return (
        f"{'':16} mean IoU after 1..{count} clicks: {after}; clicks that made the mask worse: {shown}"
        f" of {len(names) * (count - 1)} after the first{per}, {drop / max(worse, 1):.3f} lower on average"
    )


def merge_saved(paths: list[Path], by: str) -> None:
    """Cross-validate over every setting saved by earlier runs (same sequences in each)."""
    merged: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for path in paths:
        for mode, settings in json.loads(path.read_text()).items():
            merged.setdefault(mode, {}).update(settings)
    for mode, settings in merged.items():
        names = sorted(set.intersection(*(set(rows) for rows in settings.values())))
        table = [settings[label] for label in settings]
        print(f"[{mode}] {len(table)} settings on {len(names)} sequences")
        for label, rows in settings.items():
            mean = np.mean([rows[n][by] for n in names])
            print(f"  {mean:.3f} {by} on all  {label or 'defaults'}")
        for key in ("first", "J", "F", "JF"):
            print(cv_line(key, cross_validate(table, names, key, by)))


if __name__ == "__main__":
    main()
