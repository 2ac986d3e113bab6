"""Auto-annotation in broker mode: Redis on loopback, a real Celery worker process, the API in this
process. The same job body runs in the worker: person objects appear on the hockey clip, and a cancel
asked through the API stops the job on the other process."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import VOS, make_settings, need_shared, upload, wait_media_ready
from tests.jobs.test_auto_annotate_api import SEQUENCE, encode_clip
from tests.real_services import redis_bin, redis_server
from tests.scale.studio import job, wait_for
from tests.scale.workers import workers
from video_seg_backend.main import create_app

pytestmark = pytest.mark.skipif(redis_bin() is None, reason="redis-server is not installed")


def test_auto_annotation_runs_on_a_celery_worker_and_cancels_there(tmp_path: Path) -> None:
    frames = sorted((need_shared(VOS / SEQUENCE) / "JPEGImages").glob("*.jpg"))
    clip = encode_clip(frames, tmp_path / f"{SEQUENCE}.mp4")
    with redis_server() as redis:
        settings = make_settings(tmp_path, broker_url=redis.url, job_heartbeat_s=0.5, job_frame_delay_s=0.05)
        with TestClient(create_app(settings)) as client, workers(settings, tmp_path, "w1") as group:
            pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
            (media,) = upload(client, pid, (clip.name, clip.read_bytes(), "video/mp4")).json()
            wait_media_ready(client, pid, media["id"], timeout=120)
            base = f"/api/v1/projects/{pid}/media/{media['id']}"
            group.wait_ready("w1")

            first = client.post(f"{base}/auto-annotate", json={"concept": "person", "every": 5, "masks": "box"}).json()
            wait_for(lambda: job(client, first["id"])["status"] not in ("queued", "running"), 300, "the job ended")
            done = job(client, first["id"])
            assert done["status"] == "completed", (done["error"], group.log("w1")[-2000:])
            assert f"job {first['id']} (auto-annotate) completed" in group.log("w1")  # it ran there
            objects = client.get(f"{base}/objects").json()
            assert objects and len(objects) == done["params"]["result"]["tracks"]

            second = client.post(f"{base}/auto-annotate", json={"concept": "person", "every": 1, "masks": "box"}).json()
            wait_for(lambda: job(client, second["id"])["progress_done"] >= 3, 300, "the second job is midway")
            assert client.post(f"/api/v1/jobs/{second['id']}/cancel").status_code == 200
            wait_for(lambda: job(client, second["id"])["status"] == "canceled", 10, "the job stopped on the worker")
            assert job(client, second["id"])["progress_done"] < 75
            assert len(client.get(f"{base}/objects").json()) == len(objects)  # canceled while detecting
