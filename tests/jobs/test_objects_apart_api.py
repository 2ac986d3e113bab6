"""Two look-alike objects tracked through the real HTTP API stay two objects (engine/opencv/apart.py).

Two red blocks of the same texture, each boxed on frame 0; one slides until it touches the other,
waits, and slides back. The COCO export, read back with pycocotools, has each block's mask on its
own block on every frame and no pixel in both.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import av
import numpy as np
from pycocotools.coco import COCO

from tests.conftest import X264, upload, wait_job, wait_media_ready
from video_seg_backend.evaluation.metrics import jaccard

W, H, N = 320, 192, 26
LEFT, RIGHT = 1, 2


def blocks_video(path: Path) -> tuple[Path, list[dict[int, np.ndarray]]]:
    """The video and each frame's true masks: the left block slides right 6 px a frame until it
    touches the right one (frames 12-17), then slides back."""
    rng = np.random.default_rng(7)
    background = (rng.integers(0, 50, (H, W, 3)) + np.array([90, 120, 90])).astype(np.uint8)
    block = np.clip(np.array([200, 30, 40]) + rng.integers(-30, 30, (60, 50, 3)), 0, 255).astype(np.uint8)
    truths = []
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        stream.options = {"crf": "12", **X264}
        for t in range(N):
            frame = background.copy()
            left = 40 + 6 * min(t, 12) - 6 * max(0, t - 17)
            masks = {LEFT: np.zeros((H, W), bool), RIGHT: np.zeros((H, W), bool)}
            for object_id, x in ((RIGHT, 162), (LEFT, left)):
                frame[70:130, x : x + 50] = block
                masks[object_id][70:130, x : x + 50] = True
            truths.append(masks)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return path, truths


def test_two_look_alike_objects_that_touch_are_exported_as_two_apart(client, tmp_path):
    video, truths = blocks_video(tmp_path / "blocks.mp4")
    pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "block"}).json()
    (media,) = upload(client, pid, ("blocks.mp4", video.read_bytes(), "video/mp4")).json()
    wait_media_ready(client, pid, media["id"])
    base = f"/api/v1/projects/{pid}/media/{media['id']}"
    objects = {}
    for which, (x0, x1) in ((LEFT, (36, 94)), (RIGHT, (158, 216))):
        objects[which] = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()["id"]
        box = {"kind": "box", "object_id": objects[which], "frame_index": 0, "x0": x0, "y0": 66, "x1": x1, "y1": 134}
        assert client.post(f"{base}/prompts", json=box).status_code == 201
    job = client.post(f"{base}/propagate", json={"start_frame": 0, "direction": "forward"})
    assert job.status_code == 202, job.text
    assert wait_job(client, job.json()["id"])["status"] == "completed"

    exported = client.get(f"/api/v1/projects/{pid}/export", params={"format": "coco"})
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    path = tmp_path / "coco.json"
    path.write_bytes(archive.read(next(n for n in archive.namelist() if n.endswith(".json"))))
    coco = COCO(str(path))
    masks: dict[int, dict[int, np.ndarray]] = {}  # frame -> track -> mask
    for ann in coco.loadAnns(coco.getAnnIds()):
        frame = coco.loadImgs(ann["image_id"])[0]["frame_index"]
        masks.setdefault(frame, {})[ann["track_id"]] = coco.annToMask(ann).astype(bool)
    assert sorted(masks) == list(range(N))
    for frame, by_track in masks.items():
        assert len(by_track) == 2, frame
        first, second = by_track.values()
        assert not np.logical_and(first, second).any(), f"frame {frame}: a pixel in both masks"
        # Each mask on its own block (the tracks in the order the blocks were boxed).
        ordered = [by_track[k] for k in sorted(by_track)]
        assert jaccard(ordered[0], truths[frame][LEFT]) > 0.85, frame
        assert jaccard(ordered[1], truths[frame][RIGHT] & ~truths[frame][LEFT]) > 0.85, frame
