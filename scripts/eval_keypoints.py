#!/usr/bin/env python
"""Keypoint tracking on the DAVIS sequences: PCK@0.05 of the object's size, from one key frame and
with key frames every 10, for the tracker (Lucas-Kanade, forward-backward and mask checked) and for
the image-free baseline (interpolation between key frames, held beyond them).

Ground truth: five points per frame taken from that frame's true mask (keypoints/evaluate.py says
how); the tracker's mask constraint is the true mask. Settings are cross-validated two-fold: chosen
on one half of the sequences (alternate names), scored on the other, both ways.

    .venv/bin/python scripts/eval_keypoints.py                       # ../shared/data/vos, all sequences
    .venv/bin/python scripts/eval_keypoints.py --sequences blackswan --frames 20 --no-cv --json out.json

Deterministic: the same input prints the same figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.evaluation.io import find_davis_sequences, load_davis_sequence  # noqa: E402
from video_seg_backend.keypoints.evaluate import PckCounts, evaluate_sequence  # noqa: E402
from video_seg_backend.keypoints.tracker import TrackerSettings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VOS = REPO.parent / "shared" / "data" / "vos"
PROTOCOLS = {"one key frame": None, "key every 10": 10}
GRID = [
    TrackerSettings(fb_max_px=fb, mask_margin=margin, blend=blend)
    for fb, margin, blend in itertools.product((1.0, 2.0, 4.0), (0.0, 0.03, 0.1), (True, False))
]


def load(folder: Path, frames: int | None) -> tuple[list[np.ndarray], list[np.ndarray]] | None:
    truth = load_davis_sequence(folder)
    ids = truth.object_ids()
    if len(ids) != 1 or truth.num_frames < 3:  # one object per sequence; a clip of 2 frames scores nothing
        return None
    n = truth.num_frames if frames is None else min(frames, truth.num_frames)
    images = sorted((folder / "JPEGImages").glob("*.jpg"))[:n]
    grey = [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in images]
    return grey, [truth.labels[i] == ids[0] for i in range(n)]


def score(data: dict, names: list[str], settings: TrackerSettings, method: str = "track") -> dict[str, PckCounts]:
    out = {}
    for protocol, every in PROTOCOLS.items():
        total = PckCounts()
        for name in names:
            total.add(evaluate_sequence(*data[name], every, settings, method))
        out[protocol] = total
    return out


def mean_pck(result: dict[str, PckCounts]) -> float:
    return float(np.mean([c.pck for c in result.values()]))


def row(label: str, result: dict[str, PckCounts]) -> str:
    cells = [f"{c.pck:.3f} (kept {c.kept_share:.2f}, right when kept {c.precision:.3f})" for c in result.values()]
    return f"{label:<34} " + "  ".join(f"{cell:<44}" for cell in cells)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=VOS)
    ap.add_argument("--sequences", nargs="*", help="only these (default: every one-object sequence)")
    ap.add_argument("--frames", type=int, help="only the first N frames of each sequence")
    ap.add_argument("--no-cv", action="store_true", help="score the defaults only, no settings search")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    found = find_davis_sequences(args.root)
    data = {}
    for name in sorted(args.sequences or found):
        loaded = load(found[name], args.frames)
        if loaded is not None:
            data[name] = loaded
    names = sorted(data)
    print(f"{len(names)} sequences, {sum(len(g) for g, _ in data.values())} frames; PCK@0.05 of object size")
    print(f"{'':<34} " + "  ".join(f"{p:<44}" for p in PROTOCOLS))
    report: dict = {"sequences": names, "rows": {}}
    for label, method, settings in (("interpolation only (no images)", "interp", None),
                                    ("tracker, defaults", "track", TrackerSettings())):  # fmt: skip
        result = score(data, names, settings or TrackerSettings(), method)
        print(row(label, result))
        report["rows"][label] = {p: vars(c) | {"pck": c.pck} for p, c in result.items()}
    if not args.no_cv and len(names) >= 2:
        halves = [names[0::2], names[1::2]]
        held_out: dict[str, PckCounts] = {p: PckCounts() for p in PROTOCOLS}
        for fold, (tune, test) in enumerate(((halves[0], halves[1]), (halves[1], halves[0]))):
            best = max(GRID, key=lambda s: mean_pck(score(data, tune, s)))
            result = score(data, test, best)
            print(row(f"fold {fold + 1}: {best.fb_max_px:g}px {best.mask_margin:g} blend={best.blend}", result))
            for p, c in result.items():
                held_out[p].add(c)
        print(row("cross-validated (held-out halves)", held_out))
        report["rows"]["cross-validated"] = {p: vars(c) | {"pck": c.pck} for p, c in held_out.items()}
    per_seq = {name: {p: round(c.pck, 3) for p, c in score(data, [name], TrackerSettings()).items()} for name in names}
    for name, figures in per_seq.items():
        print(f"  {name:<16} " + "  ".join(f"{p} {v:.3f}" for p, v in figures.items()))
    report["per_sequence_defaults"] = per_seq
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
