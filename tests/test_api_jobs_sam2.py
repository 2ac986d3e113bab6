"""The SAM 2 path through the API, with the real sam2 code and a random tiny model (256 px):
clicks, propagation both ways, cancel within a frame, a click answered while a job runs, and a
restart that marks the running job as interrupted while keeping the frames it wrote."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import make_settings, synthetic_video, upload, wait_job, wait_media_ready
from video_seg_backend.core.db import build_db_engine
from video_seg_backend.main import create_app
from video_seg_backend.models import Job, JobKind, JobStatus

pytest.importorskip("sam2", reason="the sam2 package is not installed")
pytestmark = pytest.mark.sam2
MODEL = "sam2.1_hiera_tiny_random"
N = 24


@pytest.fixture
def sam_settings(tmp_path):
    return make_settings(tmp_path, allow_random_weights=True, sam2_image_size=256, default_model=MODEL)


@pytest.fixture
def sam_video(sam_settings, tmp_path):
    with TestClient(create_app(sam_settings)) as client:
        assert client.get("/api/v1/health").json()["default_model"] == MODEL
        pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()
        data = synthetic_video(tmp_path / "v.mp4", frames=N).read_bytes()
        (media,) = upload(client, pid, ("v.mp4", data, "video/mp4")).json()
        wait_media_ready(client, pid, media["id"])
        base = f"/api/v1/projects/{pid}/media/{media['id']}"
        obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()
        yield client, base, obj["id"]


def test_sam2_click_and_track_both_ways(sam_video):
    client, base, obj = sam_video
    click = client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 10, "x": 90, "y": 60})
    assert click.status_code == 201, click.text
    assert click.json()["annotation"]["rle"]["size"] == [120, 160]
    job = client.post(f"{base}/propagate", json={"start_frame": 10, "direction": "both", "num_frames": 4}).json()
    assert job["params"]["runs"] == [[10, "forward", 4], [10, "backward", 4]]
    done = wait_job(client, job["id"])
    assert done["status"] == "completed" and done["progress_done"] == 8
    frames = sorted(a["frame_index"] for a in client.get(f"{base}/annotations").json())
    assert frames == list(range(6, 15))


def test_sam2_cancel_stops_within_a_frame_and_keeps_written_frames(sam_video):
    client, base, obj = sam_video
    client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 0, "x": 30, "y": 60})
    job = client.post(f"{base}/propagate", json={"start_frame": 0, "direction": "forward"}).json()
    deadline = time.monotonic() + 60
    while client.get(f"/api/v1/jobs/{job['id']}").json()["progress_done"] < 2:
        assert time.monotonic() < deadline, "propagation made no progress"
        time.sleep(0.02)
    # a click on another frame while the job runs is answered, and long before the job would end
    started = time.monotonic()
    other = client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": N - 1, "x": 150, "y": 60})
    click_s = time.monotonic() - started
    assert other.status_code == 201
    canceled_at = client.post(f"/api/v1/jobs/{job['id']}/cancel").json()["progress_done"]
    final = wait_job(client, job["id"])
    assert final["status"] == "canceled"
    assert final["progress_done"] <= canceled_at + 2, "cancel must stop within about one frame"
    assert final["progress_done"] < N - 1
    written = [a for a in client.get(f"{base}/annotations").json() if a["source"] == "propagated"]
    assert len(written) == final["progress_done"]
    assert click_s < 30


def test_restart_marks_running_jobs_interrupted(sam_settings, tmp_path):
    with TestClient(create_app(sam_settings)) as client:
        pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
    db = build_db_engine(sam_settings)
    with Session(db) as session:
        job = Job(project_id=pid, kind=JobKind.propagate, status=JobStatus.running, progress_done=7, progress_total=20)
        session.add(job)
        session.commit()
        job_id = job.id
    db.dispose()
    with TestClient(create_app(sam_settings)) as client:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        assert job["status"] == "failed" and "Interrupted" in job["error"] and job["progress_done"] == 7


def test_cache_eviction_rebuilds_state_from_the_database(sam_settings, tmp_path):
    """A state evicted from the cache is rebuilt from stored prompts: the next click still has the
    earlier prompts (same mask as before for an identical re-click)."""
    sam_settings.state_cache_mb = 1  # every state is over budget: evicted as soon as another is used
    with TestClient(create_app(sam_settings)) as client:
        pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()
        data = synthetic_video(tmp_path / "v.mp4", frames=6).read_bytes()
        media = [
            m["id"] for m in upload(client, pid, ("a.mp4", data, "video/mp4"), ("b.mp4", data, "video/mp4")).json()
        ]
        for m in media:
            wait_media_ready(client, pid, m)
        bases = [f"/api/v1/projects/{pid}/media/{m}" for m in media]
        objs = [client.post(f"{b}/objects", json={"label_id": label["id"]}).json()["id"] for b in bases]
        first = client.post(f"{bases[0]}/prompts", json={"object_id": objs[0], "frame_index": 2, "x": 40, "y": 60})
        client.post(f"{bases[1]}/prompts", json={"object_id": objs[1], "frame_index": 2, "x": 40, "y": 60})
        # back to the first video: its state was evicted; the stored prompt is replayed before this one
        again = client.post(f"{bases[0]}/prompts", json={"object_id": objs[0], "frame_index": 2, "x": 41, "y": 60})
        assert again.status_code == 201
        prompts = client.get(f"{bases[0]}/prompts", params={"frame": 2}).json()
        assert len(prompts) == 2
        removed = client.delete(f"{bases[0]}/prompts/{again.json()['prompt']['id']}").json()
        assert removed["annotation"]["rle"] == first.json()["annotation"]["rle"]


def test_correcting_a_tracked_frame_refines_the_tracked_mask(sam_video):
    client, base, obj = sam_video
    client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 0, "x": 30, "y": 60})
    wait_job(client, client.post(f"{base}/propagate", json={"start_frame": 0, "num_frames": 4}).json()["id"])
    (tracked,) = client.get(f"{base}/annotations", params={"frame": 3}).json()
    assert tracked["source"] == "propagated"

    fix = client.post(
        f"{base}/prompts", json={"object_id": obj, "frame_index": 3, "x": 5, "y": 5, "positive": False}
    ).json()
    assert fix["annotation"]["source"] == "prompt"
    # the engine state is lost (eviction, restart): replay rebuilds the same corrected mask,
    # which needs the tracked mask it was corrected from, not just the click
    client.app.state.studio.segmentation.forget_media(int(base.rsplit("/", 1)[1]))
    extra = client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 3, "x": 6, "y": 5, "positive": False})
    undone = client.delete(f"{base}/prompts/{extra.json()['prompt']['id']}").json()
    assert undone["annotation"]["rle"] == fix["annotation"]["rle"]
    # removing the correction gives the tracked mask back, as tracked
    restored = client.delete(f"{base}/prompts/{fix['prompt']['id']}").json()["annotation"]
    assert (restored["rle"], restored["source"]) == (tracked["rle"], "propagated")
    assert client.get(f"{base}/objects").json()[0]["key_frames"] == [0]
