#!/usr/bin/env python
"""A robot that annotates DAVIS videos through a running studio's HTTP API, as a person would.

For each sequence made by create_davis_subset.py (videos/<seq>.mp4 + gt/<seq>/*.png) it:

1. creates a project and a label, uploads the video and waits until it is decoded;
2. creates one studio object per ground-truth object of the first frame and clicks on the first
   frame where a person would (the centre of the largest error region: positive inside a missed
   area, negative inside a false one) until the mask's IoU reaches --target-iou or --max-clicks;
3. tracks all objects through the video (propagate, direction both) and scores J&F;
4. then --rounds times: picks a frame to correct, corrects it with up to --correction-clicks
   clicks (a click that makes the mask worse is undone, and clicking on that frame stops, as a
   person would), re-tracks from it if the frame improved, and scores again.

Which frame a round corrects (--mode):

- ``oracle``: the worst frame (lowest true J of any object): what no person knows;
- ``queue``: the first frame of the studio's review queue (least confident tracked mask first,
  GET .../review-queue), and its least confident object: what the studio shows a person. The
  truth only decides where to click on that frame, as a person sees the error;
- ``both``: each sequence once in each mode (a fresh project each), and the queue's share of the
  oracle's gain after the last round.

It reports J&F against the number of clicks and the time spent, per round, per sequence, and the
area under J&F against time (the DAVIS interactive benchmark's AUC: J&F as a step function of
the time spent, over --time-budget seconds, normalised to [0, 1]).
Clicks come from the ground truth (video_seg_backend.evaluation.clicker), so the curve measures
the studio (engine + API), not a person's aim.

    VSS_DATA_DIR=$(mktemp -d) VSS_PORT=8765 python -m video_seg_backend &
    python scripts/create_davis_subset.py ../shared/data/vos --out /tmp/davis-subset
    python scripts/robot_annotator.py --url http://127.0.0.1:8765 --data /tmp/davis-subset --json robot.json
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.evaluation.clicker import next_click  # noqa: E402
from video_seg_backend.evaluation.client import StudioClient, StudioError  # noqa: E402
from video_seg_backend.evaluation.io import DavisSequence, load_davis_sequence  # noqa: E402
from video_seg_backend.evaluation.metrics import jaccard  # noqa: E402
from video_seg_backend.evaluation.report import format_table, write_json  # noqa: E402
from video_seg_backend.evaluation.vos import evaluate_sequence, scored_frames, summarize  # noqa: E402


@dataclass
class Step:
    """The state after one round: cumulative clicks and seconds, and the scores then."""

    sequence: str
    mode: str
    round: int
    action: str
    clicks: int
    seconds: float
    jf: float
    j: float
    f: float
    worst_frame: int | None = None
    worst_j: float | None = None


@dataclass
class Session:
    """One sequence being annotated: ids in the studio and the running totals."""

    gt: DavisSequence
    project_id: int
    media_id: int
    objects: dict[int, int]  # GT object id -> studio object id
    clicks: int = 0
    seconds: float = 0.0
    click_log: list[dict] = field(default_factory=list)


def click_until(
    client: StudioClient,
    session: Session,
    gt_id: int,
    frame: int,
    start_mask: np.ndarray,
    max_clicks: int,
    target_iou: float,
    undo_worse: bool = False,
) -> bool:
    """Click on one frame for one object until its IoU reaches the target; True if it improved.

    ``undo_worse``: correcting a tracked frame, a person who sees a click make the mask worse
    undoes it (the prompt is deleted) and stops there rather than re-track from a worse mask."""
    gt_mask = session.gt.labels[frame] == gt_id
    void = session.gt.labels[frame] == 255
    mask = start_mask
    first_iou = jaccard(mask, gt_mask, void)
    for _ in range(max_clicks):
        iou = jaccard(mask, gt_mask, void)
        if iou >= target_iou:
            break
        click = next_click(mask, gt_mask, void)
        if click is None:
            break
        x, y, positive = click
        start = time.perf_counter()
        new_mask = client.add_point(session.project_id, session.media_id, session.objects[gt_id], frame, x, y, positive)
        session.seconds += time.perf_counter() - start
        session.clicks += 1
        if new_mask is None:
            new_mask = current_mask(client, session, gt_id, frame)
        new_iou = jaccard(new_mask, gt_mask, void)
        undone = undo_worse and new_iou < iou and client.last_prompt_id is not None
        if undone:
            start = time.perf_counter()
            client.delete_prompt(session.project_id, session.media_id, client.last_prompt_id)
            session.seconds += time.perf_counter() - start
        else:
            mask = new_mask
        session.click_log.append(
            {"object": gt_id, "frame": frame, "x": x, "y": y, "positive": positive, "iou": new_iou, "undone": undone}
        )
        if undone:
            break
    return jaccard(mask, gt_mask, void) > first_iou


def current_mask(client: StudioClient, session: Session, gt_id: int, frame: int) -> np.ndarray:
    tracks = client.tracks(session.project_id, session.media_id)
    mask = tracks.get(session.objects[gt_id], {}).get(frame)
    return np.zeros(session.gt.shape, bool) if mask is None else mask


def track(client: StudioClient, session: Session, start_frame: int, progress: tqdm) -> None:
    start = time.perf_counter()
    job = client.propagate(session.project_id, session.media_id, list(session.objects.values()), start_frame, "both")

    def on_progress(done: int, total: int) -> None:
        progress.total = total or progress.total
        progress.n = done
        progress.refresh()

    progress.reset()
    progress.set_description(f"{session.gt.name} tracking from {start_frame}")
    client.wait_job(int(job["id"]), on_progress=on_progress)
    session.seconds += time.perf_counter() - start


def score(client: StudioClient, session: Session) -> tuple[dict, dict]:
    """Scores of the studio's current masks, and the fetched tracks."""
    tracks = client.tracks(session.project_id, session.media_id, session.gt.num_frames)
    scores = evaluate_sequence(session.gt, tracks, mapping=session.objects)
    return summarize(scores), tracks


def worst_frame(session: Session, tracks: dict, skip: set[tuple[int, int]]) -> tuple[int, int, float] | None:
    """The (GT object, frame, J) with the lowest J over the scored frames, skipping ones corrected."""
    worst: tuple[int, int, float] | None = None
    for gt_id, studio_id in session.objects.items():
        masks = tracks.get(studio_id, {})
        for frame in scored_frames(session.gt.num_frames):
            if (gt_id, frame) in skip:
                continue
            pred = masks.get(frame)
            gt_mask = session.gt.labels[frame] == gt_id
            if pred is None:
                pred = np.zeros(session.gt.shape, bool)
            value = jaccard(pred, gt_mask, session.gt.labels[frame] == 255)
            if worst is None or value < worst[2]:
                worst = (gt_id, frame, value)
    return worst


def queue_frame(client: StudioClient, session: Session, skip: set[tuple[int, int]]) -> tuple[int, int, float] | None:
    """The review queue's first (GT object, frame, its true J) not corrected yet: every tracked
    mask is in line (below 1), least confident first; the truth only scores the pick."""
    by_studio = {studio_id: gt_id for gt_id, studio_id in session.objects.items()}
    queue = client.request(
        "GET", f"/projects/{session.project_id}/media/{session.media_id}/review-queue", params={"below": 1.0}
    )
    for entry in queue["frames"]:
        frame = int(entry["frame_index"])
        for doubtful in entry["objects"]:
            gt_id = by_studio.get(int(doubtful["object_id"]))
            if gt_id is None or (gt_id, frame) in skip:
                continue
            pred = current_mask(client, session, gt_id, frame)
            labels = session.gt.labels[frame]
            return gt_id, frame, jaccard(pred, labels == gt_id, labels == 255)
    return None


def auc_over_time(steps: list[Step], budget: float) -> float:
    """Area under J&F against time, J&F 0 until the first result and held between results,
    over ``budget`` seconds, normalised to [0, 1] (the DAVIS interactive benchmark's AUC)."""
    area, last_t, last_jf = 0.0, 0.0, 0.0
    for step in steps:
        t = min(step.seconds, budget)
        area += (t - last_t) * last_jf
        last_t, last_jf = t, step.jf
    area += (budget - last_t) * last_jf
    return area / budget if budget > 0 else float("nan")


def annotate_sequence(
    client: StudioClient, name: str, video: Path, gt_dir: Path, args: argparse.Namespace, mode: str = "oracle"
) -> list:
    gt = load_davis_sequence(gt_dir, name)
    project = client.create_project(f"robot {name} {time.strftime('%H:%M:%S')}")
    label = client.create_label(project["id"], "object")
    upload_start = time.perf_counter()
    media = client.upload(project["id"], video)
    media = client.wait_media_ready(project["id"], media["id"])
    upload_seconds = time.perf_counter() - upload_start
    if media.get("num_frames") != gt.num_frames:
        tqdm.write(f"{name}: the studio decoded {media.get('num_frames')} frames, GT has {gt.num_frames}")
    objects = {}
    for gt_id in gt.object_ids():
        created = client.create_object(project["id"], media["id"], label["id"], name=f"gt {gt_id}")
        objects[gt_id] = int(created["id"])
    session = Session(gt=gt, project_id=project["id"], media_id=media["id"], objects=objects)
    steps: list[Step] = []

    # Round 0: clicks on the first frame, then track.
    for gt_id in objects:
        click_until(client, session, gt_id, 0, np.zeros(gt.shape, bool), args.max_clicks, args.target_iou)
    with tqdm(total=gt.num_frames, unit="frame", leave=False) as progress:
        track(client, session, 0, progress)
        summary, tracks = score(client, session)
        corrected: set[tuple[int, int]] = set()

        def pick() -> tuple[int, int, float] | None:
            if mode == "queue":
                return queue_frame(client, session, corrected)
            return worst_frame(session, tracks, corrected)

        worst = pick()
        steps.append(
            Step(name, mode, 0, "first frame + track", session.clicks, session.seconds, summary["jf_mean"],
                 summary["j_mean"], summary["f_mean"], worst and worst[1], worst and worst[2])
        )  # fmt: skip
        for round_index in range(1, args.rounds + 1):
            if worst is None or (mode == "oracle" and worst[2] >= args.target_iou):
                break
            gt_id, frame, _value = worst
            corrected.add((gt_id, frame))
            start_mask = tracks.get(objects[gt_id], {}).get(frame)
            if start_mask is None:
                start_mask = np.zeros(gt.shape, bool)
            if click_until(
                client, session, gt_id, frame, start_mask, args.correction_clicks, args.target_iou, undo_worse=True
            ):
                track(client, session, frame, progress)
            summary, tracks = score(client, session)
            worst = pick()
            steps.append(
                Step(name, mode, round_index, f"fix frame {frame}", session.clicks, session.seconds,
                     summary["jf_mean"], summary["j_mean"], summary["f_mean"], worst and worst[1],
                     worst and worst[2])
            )  # fmt: skip
    if not args.keep:
        client.delete_project(project["id"])
    tqdm.write(
        f"{name}: {session.clicks} clicks, {session.seconds:.1f}s annotating "
        f"(+{upload_seconds:.1f}s upload and decode), J&F {steps[-1].jf:.3f}"
    )
    return [steps, session.click_log, upload_seconds]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="studio URL")
    parser.add_argument("--data", type=Path, required=True, help="create_davis_subset.py output folder")
    parser.add_argument("--sequences", help="comma-separated sequences (default: all in --data)")
    parser.add_argument("--max-clicks", type=int, default=5, help="clicks per object on the first frame")
    parser.add_argument("--target-iou", type=float, default=0.9, help="stop clicking a frame at this IoU")
    parser.add_argument("--rounds", type=int, default=3, help="correction rounds after the first tracking")
    parser.add_argument("--correction-clicks", type=int, default=3, help="clicks per correction round")
    parser.add_argument("--keep", action="store_true", help="keep the projects in the studio afterwards")
    parser.add_argument(
        "--mode", choices=["oracle", "queue", "both"], default="oracle", help="how a round picks the frame to correct"
    )
    parser.add_argument("--time-budget", type=float, default=60.0, help="seconds per sequence for the AUC over time")
    parser.add_argument("--json", dest="json_out", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args(argv)

    videos = {p.stem: p for p in sorted((args.data / "videos").glob("*.mp4"))}
    names = [n for n in videos if (args.data / "gt" / n).is_dir()]
    if args.sequences:
        wanted = [s.strip() for s in args.sequences.split(",") if s.strip()]
        missing = sorted(set(wanted) - set(names))
        if missing:
            parser.error(f"not in {args.data}: {', '.join(missing)} (run create_davis_subset.py first)")
        names = wanted
    if not names:
        parser.error(f"no videos/<seq>.mp4 with gt/<seq>/ in {args.data}: run create_davis_subset.py first")

    results: dict[str, dict] = {}
    all_steps: list[Step] = []
    with StudioClient(args.url) as client:
        try:
            health = client.health()
        except Exception as exc:  # noqa: BLE001 - any connection error means the same thing here
            parser.error(f"no studio at {args.url}: {exc}")
        modes = ["oracle", "queue"] if args.mode == "both" else [args.mode]
        for name in tqdm(names, desc="sequences", unit="seq"):
            for mode in modes:
                key = name if len(modes) == 1 else f"{name} ({mode})"
                try:
                    steps, clicks, upload_seconds = annotate_sequence(
                        client, name, videos[name], args.data / "gt" / name, args, mode
                    )
                except (StudioError, TimeoutError) as exc:
                    tqdm.write(f"{key}: failed: {exc}")
                    results[key] = {"error": str(exc)}
                    continue
                all_steps.extend(steps)
                results[key] = {
                    "mode": mode,
                    "steps": [vars(s) for s in steps],
                    "clicks": clicks,
                    "upload_seconds": upload_seconds,
                    "auc_time": auc_over_time(steps, args.time_budget),
                }

    rows = [
        {
            "sequence": s.sequence,
            "mode": s.mode,
            "round": s.round,
            "action": s.action,
            "clicks": s.clicks,
            "seconds": s.seconds,
            "J&F": s.jf,
            "J": s.j,
            "F": s.f,
            "worst J": np.nan if s.worst_j is None else s.worst_j,
        }
        for s in all_steps
    ]
    if rows:
        print(format_table(rows, list(rows[0])))
    gains: dict[str, float] = {}
    for mode in ["oracle", "queue"]:
        done = [r for r in results.values() if r.get("mode", args.mode) == mode and "steps" in r]
        if not done:
            continue
        finals = [r["steps"][-1] for r in done]
        firsts = [r["steps"][0] for r in done]
        gains[mode] = float(np.mean([f["jf"] - s["jf"] for f, s in zip(finals, firsts, strict=True)]))
        print(
            f"\n{mode}: {len(finals)} sequences on {health.get('default_model')} ({health.get('device')}): "
            f"J&F {np.mean([s['jf'] for s in firsts]):.3f} after the first frame "
            f"({np.mean([s['clicks'] for s in firsts]):.1f} clicks), "
            f"{np.mean([s['jf'] for s in finals]):.3f} after corrections "
            f"({np.mean([s['clicks'] for s in finals]):.1f} clicks, "
            f"{np.mean([s['seconds'] for s in finals]):.1f}s), gain {gains[mode]:+.3f}, "
            f"AUC over {args.time_budget:.0f}s {np.mean([r['auc_time'] for r in done]):.3f}"
        )
    if "oracle" in gains and "queue" in gains and gains["oracle"] > 0:
        print(f"queue-guided corrections reach {gains['queue'] / gains['oracle']:.0%} of the oracle's gain")
    if args.json_out:
        write_json(
            {"studio": health, "settings": {k: str(v) for k, v in vars(args).items()}, "sequences": results},
            args.json_out,
        )
    return 0 if rows else 1


if __name__ == "__main__":
    raise SystemExit(main())
