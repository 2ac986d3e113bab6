"""A detector plug-in drives auto-annotation through the HTTP API: installed as pip leaves it, named in
the request, held to the labels it declares, and its boxes become one object with a box per frame."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from tests.conftest import make_settings, png_bytes, synthetic_video, upload, wait_job, wait_media_ready
from tests.detection.test_registry import installed_plugin  # noqa: F401 - the fixture
from video_seg_backend.main import create_app
from video_seg_backend.models import Job, JobStatus

W, H, N = 160, 120, 8


@pytest.mark.usefixtures("installed_plugin")
def test_a_plugin_detector_makes_objects_with_its_boxes(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        listed = {d["name"]: d for d in client.get("/api/v1/detectors").json()["detectors"]}
        assert listed["corner"] == {"name": "corner", "labels": ["widget"], "error": None}
        assert "does not provide detect" in listed["broken"]["error"]  # listed with why, the list still answers
        pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        data = synthetic_video(tmp_path / "v.mp4", frames=N, size=(W, H)).read_bytes()
        (media,) = upload(client, pid, ("v.mp4", data, "video/mp4")).json()
        wait_media_ready(client, pid, media["id"])
        base = f"/api/v1/projects/{pid}/media/{media['id']}"

        cup = client.post(f"{base}/auto-annotate", json={"concept": "cup", "detector": "corner"})
        assert cup.status_code == 422 and "it finds: widget" in cup.json()["detail"]
        broken = client.post(f"{base}/auto-annotate", json={"concept": "widget", "detector": "broken"})
        assert broken.status_code == 422 and "cannot be built here" in broken.json()["detail"]

        body = {"concept": "widget", "detector": "corner", "every": 3, "masks": "box"}
        job = wait_job(client, client.post(f"{base}/auto-annotate", json=body).json()["id"])
        assert job["status"] == "completed", job["error"]
        assert job["params"]["result"]["detection_frames"] == 4  # 0, 3, 6 and the last, 7
        (obj,) = client.get(f"{base}/objects").json()
        masks = client.get(f"{base}/annotations").json()
        assert sorted(a["frame_index"] for a in masks) == list(range(N))
        assert all(a["object_id"] == obj["id"] and a["bbox"] == [0, 0, W / 2, H / 2] for a in masks)
        scored = {a["frame_index"]: a["score"] for a in masks}
        assert scored[3] == pytest.approx(0.75) and scored[4] is None  # detected vs interpolated frames


@pytest.mark.usefixtures("installed_plugin")
def test_on_an_image_each_detection_is_an_object(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        pid = client.post("/api/v1/projects", json={"name": "i", "media_type": "image"}).json()["id"]
        (media,) = upload(client, pid, ("a.png", png_bytes(W, H), "image/png")).json()
        wait_media_ready(client, pid, media["id"])
        base = f"/api/v1/projects/{pid}/media/{media['id']}"
        body = {"concept": "widget", "detector": "corner", "masks": "box"}
        job = wait_job(client, client.post(f"{base}/auto-annotate", json=body).json()["id"])
        assert job["status"] == "completed", job["error"]
        (obj,) = client.get(f"{base}/objects").json()  # one detection, nothing to link it with: still an object
        (mask,) = client.get(f"{base}/annotations").json()
        assert mask["object_id"] == obj["id"] and mask["bbox"] == [0, 0, W / 2, H / 2]


@pytest.mark.usefixtures("installed_plugin")
def test_a_second_attempt_replaces_what_the_first_one_made(tmp_path: Path) -> None:
    """A worker that died mid-job leaves objects behind; the reaper's next attempt removes them and
    starts over, so the video ends with one set of objects, not two."""
    with TestClient(create_app(make_settings(tmp_path))) as client:
        state = client.app.state.studio  # type: ignore[attr-defined]
        pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        data = synthetic_video(tmp_path / "v.mp4", frames=N, size=(W, H)).read_bytes()
        (media,) = upload(client, pid, ("v.mp4", data, "video/mp4")).json()
        wait_media_ready(client, pid, media["id"])
        base = f"/api/v1/projects/{pid}/media/{media['id']}"
        body = {"concept": "widget", "detector": "corner", "every": 3, "masks": "box"}
        job_id = client.post(f"{base}/auto-annotate", json=body).json()["id"]
        assert wait_job(client, job_id)["status"] == "completed"
        (first,) = client.get(f"{base}/objects").json()
        with Session(state.db) as session:  # as the reaper leaves a job whose worker died
            row = session.get(Job, job_id)
            assert row is not None and row.checkpoint == {f"object.{first['id']}": 1}
            row.status = JobStatus.queued
            session.add(row)
            session.commit()
        state.worker.runner.run(job_id)
        assert client.get(f"/api/v1/jobs/{job_id}").json()["status"] == "completed"
        (second,) = client.get(f"{base}/objects").json()  # one object: the first attempt's went
        assert second["track_id"] == first["track_id"] == 1  # numbered as if the first had never been
        masks = client.get(f"{base}/annotations").json()
        assert sorted(a["frame_index"] for a in masks) == list(range(N))
        assert {a["object_id"] for a in masks} == {second["id"]}
