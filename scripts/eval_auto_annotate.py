#!/usr/bin/env python
"""Measure the whole auto-annotation job, through the studio's HTTP API, on the DAVIS people sequences.

Each sequence is encoded to an H.264 clip, uploaded to an in-process studio (offline, a temporary data
folder), and auto-annotated ("person", the HOG detector every N frames, ByteTrack, masks from the
OpenCV engine's box prompt, or the box itself). Against the one annotated object per frame it prints:
box recall at IoU >= 0.5 (a frame counts when any object's box matches the truth mask's box), ID
switches of the matched object, mask J (the best object's mask IoU with the truth mask on every frame,
0 where nothing was found) and J on the frames where some object's box matched, objects made, and the
job's seconds. Same input, same output (the detector, the tracker and GrabCut's seed are fixed).

    .venv/bin/python scripts/eval_auto_annotate.py                       # N = 5, masks "model" and "box"
    .venv/bin/python scripts/eval_auto_annotate.py --every 1 --masks model --json auto.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image
from pycocotools import mask as mask_utils

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

from eval_person_tracks import IOU, PERSON_SEQUENCES, box_iou  # noqa: E402

from video_seg_backend.core.config import Settings  # noqa: E402
from video_seg_backend.evaluation.clicker import mask_box  # noqa: E402
from video_seg_backend.main import create_app  # noqa: E402

SHARED = REPO.parent / "shared" / "data"


def encode(folder: Path, path: Path) -> tuple[Path, list[np.ndarray]]:
    """The sequence as an H.264 clip (near-lossless) and its truth masks."""
    frames = sorted((folder / "JPEGImages").glob("*.jpg"))
    truth = []
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24)
        # No macroblock tree: with it libx264 gave other pixels on every run (up to 30 levels apart,
        # from frame 0 on), and so other detections, tracks and figures.
        options = {"crf": "12", "x264-params": "mbtree=0"}
        stream.width, stream.height, stream.pix_fmt, stream.options = 854, 480, "yuv420p", options
        for frame in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.asarray(Image.open(frame).convert("RGB")), "rgb24")))
            gt = np.asarray(Image.open(folder / "Annotations" / f"{frame.stem}.png"))
            truth.append(gt.any(axis=2) if gt.ndim == 3 else gt > 0)
        out.mux(stream.encode())
    return path, truth


def annotate(client: TestClient, clip: Path, every: int, masks: str) -> tuple[dict, list[dict], float]:
    pid = client.post("/api/v1/projects", json={"name": clip.stem, "media_type": "video"}).json()["id"]
    (media,) = client.post(
        f"/api/v1/projects/{pid}/media", files=[("files", (clip.name, clip.read_bytes(), "video/mp4"))]
    ).json()
    base = f"/api/v1/projects/{pid}/media/{media['id']}"
    while client.get(base).json()["status"] == "processing":
        time.sleep(0.1)
    body = {"concept": "person", "detector": "hog-person", "every": every, "masks": masks, "model": "opencv"}
    started = time.perf_counter()
    job = client.post(f"{base}/auto-annotate", json=body).json()
    while (job := client.get(f"/api/v1/jobs/{job['id']}").json())["status"] in ("queued", "running"):
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if job["status"] != "completed":
        raise RuntimeError(f"{clip.stem}: the job {job['status']}: {job['error']}")
    return job, client.get(f"{base}/annotations").json(), seconds


def score(annotations: list[dict], truth: list[np.ndarray]) -> dict:
    by_frame: dict[int, list[dict]] = {}
    for a in annotations:
        by_frame.setdefault(a["frame_index"], []).append(a)
    recall_hits, switches, last_id, j_all, j_matched = 0, 0, None, [], []
    for index, gt in enumerate(truth):
        gt_box = mask_box(gt)
        best_j, matched = 0.0, None
        best_box = 0.0
        for a in by_frame.get(index, []):
            x, y, w, h = a["bbox"]
            iou = box_iou((x, y, x + w, y + h), gt_box) if gt_box else 0.0
            mask = mask_utils.decode({"size": a["rle"]["size"], "counts": a["rle"]["counts"].encode()}).astype(bool)
            union = np.logical_or(mask, gt).sum()
            j = float(np.logical_and(mask, gt).sum() / union) if union else 1.0
            best_j = max(best_j, j)
            if iou >= IOU and iou > best_box:
                best_box, matched = iou, a["object_id"]
        if gt_box is None:
            continue
        j_all.append(best_j)
        if matched is not None:
            recall_hits += 1
            j_matched.append(best_j)
            switches += int(last_id is not None and matched != last_id)
            last_id = matched
    frames = len(j_all)
    return {
        "frames": frames,
        "recall": recall_hits / frames if frames else 0.0,
        "id_switches": switches,
        "j_mean": float(np.mean(j_all)) if j_all else 0.0,
        "j_matched": float(np.mean(j_matched)) if j_matched else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vos", type=Path, default=SHARED / "vos")
    parser.add_argument("--sequences", nargs="*", default=list(PERSON_SEQUENCES))
    parser.add_argument("--every", type=int, nargs="*", default=[5])
    parser.add_argument("--masks", nargs="*", choices=["model", "box"], default=["model", "box"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="vss-auto-eval-") as tmp:
        root = Path(tmp)
        settings = Settings(
            data_dir=root / "data", checkpoint_dir=root / "ckpt", offline=True, frontend_dir=root / "none",
            default_model="opencv", _env_file=None,  # type: ignore[call-arg]
        )  # fmt: skip
        with TestClient(create_app(settings)) as client:
            for name in args.sequences:
                clip, truth = encode(args.vos / name, root / f"{name}.mp4")
                for every in args.every:
                    for masks in args.masks:
                        job, annotations, seconds = annotate(client, clip, every, masks)
                        row = {"sequence": name, "every": every, "masks": masks, **score(annotations, truth)}
                        row.update(objects=len(job["params"]["result"]["object_ids"]), seconds=round(seconds, 1))
                        rows.append(row)
                        matched = "-" if row["j_matched"] is None else f"{row['j_matched']:.3f}"
                        print(
                            f"{name:15s} N={every} masks={masks:5s} recall {row['recall']:.3f}  "
                            f"ID sw {row['id_switches']}  J {row['j_mean']:.3f}  J matched {matched}  "
                            f"objects {row['objects']}  {row['seconds']:.1f} s",
                            flush=True,
                        )
    for every in args.every:
        for masks in args.masks:
            sel = [r for r in rows if r["every"] == every and r["masks"] == masks]
            frames = sum(r["frames"] for r in sel)
            recall = sum(r["recall"] * r["frames"] for r in sel) / frames if frames else 0.0
            j_mean = sum(r["j_mean"] * r["frames"] for r in sel) / frames if frames else 0.0
            print(f"ALL {frames} frames N={every} masks={masks}: recall {recall:.3f}  J {j_mean:.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
