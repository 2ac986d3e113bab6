#!/usr/bin/env python
"""Score video masks against DAVIS ground truth: J, F and J&F (mean, recall, decay).

Predictions come from one of:

    --pred DIR       DAVIS results: <video>/<frame:05d>.png, indexed palette (0 background,
                     1..N objects), as the studio's DAVIS export writes; 0/255 PNGs also work
    --ytvis FILE     a YouTube-VIS JSON (the studio's export, or a results list)
    --api URL        a running studio: --project P --media M (--sequence names the GT sequence)

Ground truth (--gt) is a DAVIS-layout folder: <seq>/Annotations/*.png, Annotations/<seq>/*.png,
or <seq>/*.png as create_davis_subset.py writes. The measures and the protocol are those of the
official davis2017-evaluation (first and last frames not scored; objects = ids in the first GT
frame); see video_seg_backend/evaluation/vos.py.

    python scripts/video_evaluation.py --gt /tmp/davis-subset/gt --pred export/davis
    python scripts/video_evaluation.py --gt ../shared/data/vos --api http://127.0.0.1:8765 \
        --project 1 --media 1 --sequence blackswan --json scores.json
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.evaluation.io import (  # noqa: E402
    DavisSequence,
    find_davis_sequences,
    load_davis_sequence,
    load_ytvis_masks,
    read_label_png,
)
from video_seg_backend.evaluation.report import format_table, write_json  # noqa: E402
from video_seg_backend.evaluation.vos import (  # noqa: E402
    ObjectScore,
    Tracks,
    evaluate_sequence,
    labels_to_tracks,
    match_tracks,
    scored_frames,
    summarize,
)


def tracks_from_davis_folder(folder: Path, gt: DavisSequence) -> Tracks:
    """Result PNGs read by GT frame name (as the official code does), then by frame index."""
    by_name = {p.stem: p for p in folder.glob("*.png")}
    tracks: dict[int, dict] = {}
    for index, name in enumerate(gt.frame_names):
        path = by_name.get(name) or by_name.get(f"{index:05d}")
        if path is None:
            continue
        labels = read_label_png(path)
        for object_id, frames in labels_to_tracks(labels[None], [index]).items():
            tracks.setdefault(object_id, {}).update(frames)
    return tracks


def score_sequences(
    gts: dict[str, DavisSequence],
    predictions: dict[str, Tracks],
    *,
    match: str,
    skip_first_last: bool,
    ignore_void: bool,
    bound_th: float,
    require_all: bool,
) -> tuple[list[ObjectScore], list[str]]:
    scores: list[ObjectScore] = []
    notes: list[str] = []
    for name in tqdm(sorted(gts), desc="sequences", unit="seq"):
        gt = gts[name]
        tracks = predictions.get(name)
        if tracks is None:
            if not require_all:
                notes.append(f"{name}: no prediction, not scored (--require-all scores it as empty)")
                continue
            notes.append(f"{name}: no prediction, scored as empty masks")
            tracks = {}
        if gt.num_frames < 3 and skip_first_last:
            notes.append(f"{name}: only {gt.num_frames} frames, all scored (DAVIS skips first and last)")
        mapping = None
        if match == "iou":
            frames = scored_frames(gt.num_frames, skip_first_last)
            mapping = match_tracks(gt, tracks, frames)
        seq_scores = evaluate_sequence(
            gt,
            tracks,
            mapping=mapping,
            skip_first_last=skip_first_last,
            ignore_void=ignore_void,
            bound_th=bound_th,
        )
        for s in seq_scores:
            if s.track_id is None:
                notes.append(f"{name}: object {s.object_id} has no matching prediction")
            elif s.missing_frames:
                notes.append(f"{name}: object {s.object_id} is empty on {s.missing_frames} scored frames")
        scores.extend(seq_scores)
    return scores, notes


def per_sequence_rows(scores: list[ObjectScore]) -> list[dict]:
    rows = []
    for name in sorted({s.sequence for s in scores}):
        summary = summarize(s for s in scores if s.sequence == name)
        rows.append({"sequence": name, **summary})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gt", type=Path, required=True, help="DAVIS-layout ground-truth folder")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pred", type=Path, help="DAVIS results folder: <video>/<frame>.png")
    source.add_argument("--ytvis", type=Path, help="YouTube-VIS JSON")
    source.add_argument("--api", help="studio URL, e.g. http://127.0.0.1:8765")
    parser.add_argument("--project", type=int, help="--api: project id")
    parser.add_argument("--media", type=int, help="--api: media id")
    parser.add_argument("--sequence", help="--api: the GT sequence the media item shows (default: its name)")
    parser.add_argument("--sequences", help="comma-separated GT sequences to score (default: all)")
    parser.add_argument(
        "--match",
        choices=("auto", "ids", "iou"),
        default="auto",
        help="pair GT objects with predicted tracks by id (DAVIS results) or by best mean IoU "
        "(studio tracks); auto: ids for --pred, iou otherwise",
    )
    parser.add_argument(
        "--require-all", action="store_true", help="score GT sequences with no prediction as empty masks"
    )
    parser.add_argument("--all-frames", action="store_true", help="also score the first and last frames")
    parser.add_argument("--ignore-void", action="store_true", help="leave void (255) GT pixels out of J and F")
    parser.add_argument("--bound-th", type=float, default=0.008, help="F tolerance (fraction of diagonal)")
    parser.add_argument("--per-frame", action="store_true", help="include per-frame J and F in --json")
    parser.add_argument("--json", dest="json_out", help="write results as JSON to this file ('-': stdout)")
    args = parser.parse_args(argv)

    if args.api and (args.project is None or args.media is None):
        parser.error("--api needs --project and --media")

    start = time.perf_counter()
    sequence_dirs = find_davis_sequences(args.gt)
    if args.sequence:
        sequence_dirs = {k: v for k, v in sequence_dirs.items() if k == args.sequence}
    elif args.sequences:
        wanted = {s.strip() for s in args.sequences.split(",")}
        sequence_dirs = {k: v for k, v in sequence_dirs.items() if k in wanted}

    predictions: dict[str, Tracks] = {}
    if args.api:
        from video_seg_backend.evaluation.client import StudioClient

        with StudioClient(args.api) as client:
            media = client.media(args.project, args.media)
            name = args.sequence or Path(media.get("name", "")).stem
            if name not in sequence_dirs:
                parser.error(f"no GT sequence {name!r} in {args.gt}; name it with --sequence")
            sequence_dirs = {name: sequence_dirs[name]}
            predictions[name] = client.tracks(args.project, args.media, media.get("num_frames"))
    if not sequence_dirs:
        parser.error(f"no ground-truth sequences found in {args.gt}")

    gts = {
        name: load_davis_sequence(path, name)
        for name, path in tqdm(sequence_dirs.items(), desc="loading GT", unit="seq")
    }
    if args.pred:
        for name, gt in gts.items():
            folder = args.pred / name
            if not folder.is_dir() and len(gts) == 1 and any(args.pred.glob("*.png")):
                folder = args.pred
            if folder.is_dir():
                predictions[name] = tracks_from_davis_folder(folder, gt)
    elif args.ytvis:
        predictions = load_ytvis_masks(args.ytvis)

    match = args.match if args.match != "auto" else ("ids" if args.pred else "iou")
    scores, notes = score_sequences(
        gts,
        predictions,
        match=match,
        skip_first_last=not args.all_frames,
        ignore_void=args.ignore_void,
        bound_th=args.bound_th,
        require_all=args.require_all,
    )
    overall = summarize(scores)
    elapsed = time.perf_counter() - start

    object_rows = [
        {
            "sequence": s.sequence,
            "object": s.object_id,
            "track": "-" if s.track_id is None else s.track_id,
            "J&F": s.jf_mean,
            "J": s.j_mean,
            "J recall": s.j_recall,
            "J decay": s.j_decay,
            "F": s.f_mean,
            "F recall": s.f_recall,
            "F decay": s.f_decay,
        }
        for s in scores
    ]
    print(format_table(object_rows, list(object_rows[0]) if object_rows else ["sequence"]))
    print()
    seq_rows = per_sequence_rows(scores)
    table = [
        {
            "sequence": r["sequence"],
            "objects": r["objects"],
            "J&F": r["jf_mean"],
            "J": r["j_mean"],
            "F": r["f_mean"],
        }
        for r in seq_rows
    ]
    if overall:
        table.append(
            {
                "sequence": "ALL",
                "objects": overall["objects"],
                "J&F": overall["jf_mean"],
                "J": overall["j_mean"],
                "F": overall["f_mean"],
            }
        )
    print(format_table(table, ["sequence", "objects", "J&F", "J", "F"]))
    for note in notes:
        print(f"note: {note}")
    scored = len({s.sequence for s in scores})
    print(f"{len(scores)} objects in {scored} sequences scored in {elapsed:.1f}s (match by {match})")

    if args.json_out:
        write_json(
            {
                "protocol": {
                    "skip_first_last": not args.all_frames,
                    "ignore_void": args.ignore_void,
                    "bound_th": args.bound_th,
                    "match": match,
                },
                "overall": overall,
                "sequences": seq_rows,
                "objects": [s.to_dict(per_frame=args.per_frame) for s in scores],
                "notes": notes,
            },
            args.json_out,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
