#!/usr/bin/env python
"""Does the review queue find the bad frames? Measured on DAVIS-layout sequences.

    python scripts/eval_review_queue.py [--data ../shared/data/vos] [--cache review-cues.json]
        [--model opencv] [--clicks 5] [seq ...]

For each sequence: up to ``--clicks`` simulated clicks on frame 0 (evaluation/clicker.py, as the
robot annotator makes them), then forward tracking with the engine of ``--model`` (default: the
OpenCV engine, the one that runs without weights; ``sam2.1_hiera_tiny``, ``edgetam`` ... where their
weights are in the checkpoint folder, read from the studio's ``VSS_*`` settings). Every tracked
mask gets its cues (engine confidence, area and shape change, distance from the key frame;
review/cues.py) exactly as a tracking job measures them (review/watch.py), and its true J.

A frame is bad when its true J < 0.5. The queue of a sequence is its tracked frames, least
confident first; the script prints how many bad frames each queue's top 10% holds (summed over the
sequences, and against the most a top 10% can hold), their precision, and for one queue pooled
over all sequences its top-10% recall (and the most any ranking could reach there) and average
precision (area under its precision-recall curve), and how deep the bad frames it finds and misses
are (true J 0-0.1, 0.1-0.3, 0.3-0.5): for the weights the studio uses with the
engine (the OpenCV engine's confidence alone, SAM 2's and EdgeTAM's combined with the track cues:
review/combination.py), for that combination, and cross-validated (two folds fixed by a seeded
shuffle, and leave-one-out): the weights chosen on the other sequences (by average precision,
then top-10% recall) from the two, and from a small grid, and scored on the held-out ones; then the
queue threshold's precision and recall, and a threshold chosen on one fold and scored on the other.
Tracking runs once per sequence; ``--cache`` keeps the cues (and the model they came from) so that
re-scoring costs nothing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.core.config import Settings  # noqa: E402
from video_seg_backend.engine.base import ListFrames, PointPrompt, Prompt, SegmentationEngine  # noqa: E402
from video_seg_backend.engine.registry import OPENCV_KEY, ModelRegistry  # noqa: E402
from video_seg_backend.evaluation.clicker import next_click  # noqa: E402
from video_seg_backend.evaluation.metrics import jaccard  # noqa: E402
from video_seg_backend.review.combination import (  # noqa: E402
    DEFAULT_WEIGHTS,
    ENGINE_ALONE,
    Weights,
    combine,
    weights_for,
)
from video_seg_backend.review.cues import FrameCues, TrackCues  # noqa: E402

BAD_J = 0.5
MODEL_ENTRY = "__model__"  # the cache's entry naming the model its cues came from
TOP = 0.10
GRID = {
    "engine": [0.0, 0.5, 1.0, 2.0],
    "area": [0.0, 1.0, 2.0],
    "shape": [0.0, 1.0, 2.0],
    "key_area": [0.0, 0.5, 1.0],
    "half_life": [0.0, 100.0],
}
Items = list[tuple[FrameCues, float]]  # (cues, true J) of one sequence's tracked frames


def find_sequences(root: Path) -> list[str]:
    """Single-object sequences with ground truth on every frame (the two-frame sample left out)."""
    names = []
    for folder in sorted(p for p in root.iterdir() if (p / "JPEGImages").is_dir()):
        frames = list((folder / "JPEGImages").glob("*.jpg"))
        if len(frames) >= 3 and len(list((folder / "Annotations").glob("*.png"))) == len(frames):
            names.append(folder.name)
    return names


def track_sequence(engine: SegmentationEngine, root: Path, name: str, clicks: int) -> Items:
    images = sorted((root / name / "JPEGImages").glob("*.jpg"))
    frames = [cv2.imread(str(p))[:, :, ::-1].copy() for p in images]
    gts = [cv2.imread(str(root / name / "Annotations" / (p.stem + ".png")), cv2.IMREAD_GRAYSCALE) > 0 for p in images]
    session = engine.session(name, ListFrames(frames), lambda: [])
    prompts: list[Prompt] = []
    first = np.zeros_like(gts[0])
    for _ in range(clicks):
        click = next_click(first, gts[0])
        if click is None:
            break
        prompts.append(PointPrompt(*click))
        first = engine.segment(session, 0, 1, prompts).mask
    track = TrackCues(0, first)
    items: Items = []
    for index, masks in engine.propagate(session, [1], 0, "forward"):
        if index == 0:
            continue
        mask = masks[0]
        items.append((track.add(index, mask.mask, mask.confidence), jaccard(mask.mask, gts[index])))
    engine.forget(name)
    return items


def ranking(items: Items, weights: Weights) -> list[bool]:
    """Whether each frame is bad, in queue order (least confident first; ties: earlier frame)."""
    order = sorted(range(len(items)), key=lambda i: combine(items[i][0], weights))
    return [items[i][1] < BAD_J for i in order]


def pooled_queue(per_seq: list[Items], each: list[Weights]) -> list[tuple[float, float]]:
    """(confidence, true J) of every sequence's frames in one queue, least confident first, each
    sequence's cues combined with its weights; ties keep the sequences' order."""
    pooled = [(combine(c, w), j) for items, w in zip(per_seq, each, strict=True) for c, j in items]
    return sorted(pooled, key=lambda p: p[0])


def scores(per_seq: list[Items], weights: Weights | list[Weights]) -> dict[str, float]:
    """How well the queues rank the bad frames first; ``weights`` one for all or one per sequence.

    - per video: each sequence's own queue (as the studio shows it), its top 10% counted, summed;
      ``ceiling`` is the most any ranking could find there (a top 10% holds at most 10% of frames);
    - pooled: one queue over all frames, its top 10%;
    - AP: average precision of the pooled queue (the area under its precision-recall curve)."""
    each = weights if isinstance(weights, list) else [weights] * len(per_seq)
    found = taken = ceiling = 0
    for items, w in zip(per_seq, each, strict=True):
        ranked = ranking(items, w)
        top = max(1, math.ceil(TOP * len(ranked)))
        found += sum(ranked[:top])
        taken += top
        ceiling += min(top, sum(ranked))
    pooled = [(c, j < BAD_J) for c, j in pooled_queue(per_seq, each)]
    bad = sum(is_bad for _, is_bad in pooled)
    pooled_size = max(1, math.ceil(TOP * len(pooled)))
    pooled_top = sum(is_bad for _, is_bad in pooled[:pooled_size])
    hits, precision_sum = 0, 0.0
    for rank, (_, is_bad) in enumerate(pooled, start=1):
        if is_bad:
            hits += 1
            precision_sum += hits / rank
    nan = float("nan")
    return {
        "recall@10%": found / bad if bad else nan,
        "precision@10%": found / taken if taken else nan,
        "of_ceiling": found / ceiling if ceiling else nan,
        "pooled_recall@10%": pooled_top / bad if bad else nan,
        # The most the pooled top 10% could hold: with more bad frames than twice its size, the
        # target (half of them) is out of reach whatever the ranking.
        "pooled_ceiling": min(pooled_size, bad) / bad if bad else nan,
        "AP": precision_sum / bad if bad else nan,
        "bad": bad,
        "found": found,
        "ceiling": ceiling,
    }


DEPTHS = (0.1, 0.3, BAD_J)  # upper ends of the bands of true J a bad frame's depth is told by


def by_depth(per_seq: list[Items], weights: Weights) -> list[tuple[float, float, int, int]]:
    """How deep the bad frames the pooled queue finds and misses are: for each band of true J
    (0-0.1, 0.1-0.3, 0.3-0.5) its bounds, how many tracked frames fall in it and how many of
    those the pooled top 10% holds. A mask at J 0.05 is plainly wrong; one at 0.45 is a near miss,
    told from a passable one at 0.55 only by the mask's outline."""
    pooled = pooled_queue(per_seq, [weights] * len(per_seq))
    top = pooled[: max(1, math.ceil(TOP * len(pooled)))]
    bands = []
    low = 0.0
    for high in DEPTHS:
        bands.append((low, high, sum(low <= j < high for _, j in pooled), sum(low <= j < high for _, j in top)))
        low = high
    return bands


def grid() -> list[Weights]:
    keys = list(GRID)
    return [
        replace(DEFAULT_WEIGHTS, **dict(zip(keys, values, strict=True))) for values in itertools.product(*GRID.values())
    ]


def choose(per_seq: list[Items], candidates: list[Weights]) -> Weights:
    def key(w: Weights) -> tuple[float, float]:
        s = scores(per_seq, w)
        return (s["AP"], s["recall@10%"])

    return max(candidates, key=key)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequences", nargs="*")
    parser.add_argument("--data", type=Path, default=Path("../shared/data/vos"))
    parser.add_argument("--clicks", type=int, default=5, help="simulated clicks on frame 0")
    parser.add_argument("--cache", type=Path, help="JSON file keeping the cues and true J of each frame")
    parser.add_argument("--seed", type=int, default=0, help="seed of the two-fold split")
    parser.add_argument("--model", default=OPENCV_KEY, help="the engine that tracks (a model key of the studio)")
    args = parser.parse_args(argv)

    names = args.sequences or find_sequences(args.data)
    cached: dict[str, Any] = {MODEL_ENTRY: args.model}
    if args.cache and args.cache.exists():
        cached = {MODEL_ENTRY: OPENCV_KEY, **json.loads(args.cache.read_text())}  # caches before --model: OpenCV's
    if cached[MODEL_ENTRY] != args.model:
        parser.error(f"{args.cache} holds the cues of model {cached[MODEL_ENTRY]}, not {args.model}")
    engine = ModelRegistry(Settings()).get(args.model)
    product_weights = weights_for(engine.key)  # what the studio combines this engine's masks' cues with
    data: dict[str, Items] = {}
    for name in names:
        if name in cached:
            data[name] = [(FrameCues(**c), j) for c, j in cached[name]]
            continue
        start = time.perf_counter()
        data[name] = track_sequence(engine, args.data, name, args.clicks)
        bad = sum(j < BAD_J for _, j in data[name])
        print(f"{name}: {len(data[name])} tracked frames, {bad} bad, {time.perf_counter() - start:.1f}s", flush=True)
        if args.cache:
            cached[name] = [(asdict(c), j) for c, j in data[name]]
            args.cache.write_text(json.dumps(cached))

    candidates = grid()
    print(f"\n{len(names)} sequences, {sum(len(v) for v in data.values())} tracked frames; a bad frame has J < {BAD_J}")
    fmt = (
        "{:<32} per video: recall@10% {:.3f} ({} of {} bad; a top 10% can hold {}: {:.0%} of that), "
        "precision@10% {:.3f} | pooled: recall@10% {:.3f}, AP {:.3f}"
    )

    def show(title: str, s: dict[str, float]) -> None:
        print(fmt.format(title, s["recall@10%"], s["found"], s["bad"], s["ceiling"], s["of_ceiling"],
                         s["precision@10%"], s["pooled_recall@10%"], s["AP"]))  # fmt: skip

    every = list(data.values())
    product = scores(every, product_weights)
    print(f"the pooled top 10% can hold at most {product['pooled_ceiling']:.1%} of the {product['bad']} bad frames")
    show(f"the studio's ({'engine alone' if product_weights == ENGINE_ALONE else 'combination'})", product)
    for low, high, count, held in by_depth(every, product_weights):
        share = f"{held / count:.0%}" if count else "-"
        print(f"  true J {low:.1f}-{high:.1f}: {count} frames, {held} of them in the pooled top 10% ({share})")
    pairs = pooled_queue(every, [product_weights] * len(every))
    rho = spearmanr([c for c, _ in pairs], [j for _, j in pairs]).statistic
    print(f"  confidence against true J over all {len(pairs)} frames: Spearman {rho:.2f}")
    show("combination (SAM 2, EdgeTAM)", scores(every, DEFAULT_WEIGHTS))
    show("engine confidence alone", scores(every, ENGINE_ALONE))
    show("track cues alone", scores(every, replace(DEFAULT_WEIGHTS, engine=0.0)))
    show("best on all (flatters itself)", scores(every, choose(every, candidates)))

    # Two folds by a seeded shuffle: weights chosen on one, each sequence scored with the other's.
    order = sorted(names)
    random.Random(args.seed).shuffle(order)
    folds = [order[::2], order[1::2]]
    two = [ENGINE_ALONE, DEFAULT_WEIGHTS]
    for title, options in (("the two", two), ("the grid", candidates)):
        chosen = [choose([data[n] for n in fold], options) for fold in folds]
        held = [data[n] for n in folds[1]] + [data[n] for n in folds[0]]
        show(f"two-fold, of {title}", scores(held, [chosen[0]] * len(folds[1]) + [chosen[1]] * len(folds[0])))
        for i, w in enumerate(chosen):
            print(f"  chosen on fold {i + 1} ({', '.join(sorted(folds[i]))}): {w}")
        # Leave-one-out: each sequence ranked with the weights best on the other thirteen.
        loo = [choose([data[m] for m in names if m != n], options) for n in names]
        show(f"leave-one-out, of {title}", scores([data[n] for n in names], loo))
        if options is two:
            alone_count = sum(w == ENGINE_ALONE for w in loo)
            print(f"  the engine alone chosen for {alone_count} of {len(names)} held-out sequences")

    # The queue's threshold (review/queue.py REVIEW_BELOW): the F1 of "queued" against "bad",
    # chosen on one fold and scored on the other.
    print("\nthreshold (the studio's weights): queued share, precision, recall of masks under it")
    for t in THRESHOLDS:
        q = threshold_scores(every, t, product_weights)
        print(f"  below {t:.2f}: queued {q['queued']:.2f}, precision {q['precision']:.2f}, recall {q['recall']:.2f}")
    for i, (train, test) in enumerate(((folds[0], folds[1]), (folds[1], folds[0])), start=1):
        best = max(THRESHOLDS, key=lambda t: threshold_scores([data[n] for n in train], t, product_weights)["f1"])
        q = threshold_scores([data[n] for n in test], best, product_weights)
        print(
            f"  fold {i}: chose below {best:.2f} on the other fold; here queued {q['queued']:.2f}, "
            f"precision {q['precision']:.2f}, recall {q['recall']:.2f}"
        )


THRESHOLDS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5]


def threshold_scores(per_seq: list[Items], below: float, weights: Weights) -> dict[str, float]:
    flags = [(combine(c, weights) < below, j < BAD_J) for items in per_seq for c, j in items]
    queued = sum(q for q, _ in flags)
    hits = sum(q and b for q, b in flags)
    bad = sum(b for _, b in flags)
    precision = hits / queued if queued else 0.0
    recall = hits / bad if bad else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"queued": queued / max(1, len(flags)), "precision": precision, "recall": recall, "f1": f1}


if __name__ == "__main__":
    main()
