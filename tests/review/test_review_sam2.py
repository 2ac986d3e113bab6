"""The SAM 2 path of confidence and the review queue, through the API with a random tiny model."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings, synthetic_video, upload, wait_job, wait_media_ready
from video_seg_backend.main import create_app

pytest.importorskip("sam2", reason="the sam2 package is not installed")
pytestmark = pytest.mark.sam2
MODEL = "sam2.1_hiera_tiny_random"


def test_sam2_tracked_masks_have_confidences_and_a_queue(tmp_path):
    settings = make_settings(tmp_path, allow_random_weights=True, sam2_image_size=256, default_model=MODEL)
    with TestClient(create_app(settings)) as client:
        pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()
        (media,) = upload(client, pid, ("v.mp4", synthetic_video(tmp_path / "v.mp4").read_bytes(), "video/mp4")).json()
        wait_media_ready(client, pid, media["id"])
        base = f"/api/v1/projects/{pid}/media/{media['id']}"
        obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()["id"]
        client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 0, "x": 30, "y": 60})
        job = client.post(f"{base}/propagate", json={"start_frame": 0, "direction": "forward", "num_frames": 4})
        done = wait_job(client, job.json()["id"])
        assert done["status"] == "completed" and done["params"]["model"] == MODEL
        tracked = [a for a in client.get(f"{base}/annotations").json() if a["source"] == "propagated"]
        assert [a["frame_index"] for a in tracked] == [1, 2, 3, 4]
        assert all(0.0 <= a["confidence"] <= 1.0 for a in tracked)
        queue = client.get(f"{base}/review-queue", params={"below": 1.0}).json()
        assert sorted(f["frame_index"] for f in queue["frames"]) == [1, 2, 3, 4]
        assert done["params"]["result"]["frames_to_review"] == client.get(f"{base}/review-queue").json()["remaining"]
