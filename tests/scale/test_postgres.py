"""Broker mode on Postgres: two real workers write masks of different objects of one video while an
annotator clicks a third object on the same frames; nothing is lost."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.real_services import postgres_server, redis_server
from tests.scale.studio import clicked_video, job, wait_for
from tests.scale.test_broker_workers import row, wait_ready
from tests.scale.workers import workers
from video_seg_backend.core.config import Settings
from video_seg_backend.main import create_app

FRAMES = 16


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    with postgres_server() as pg_url, redis_server() as redis:
        yield make_settings(
            tmp_path, database_url=pg_url, broker_url=redis.url, job_heartbeat_s=0.5, job_frame_delay_s=0.1
        )


def test_two_workers_and_an_annotator_write_one_video_at_once_on_postgres(tmp_path, pg_settings):
    with TestClient(create_app(pg_settings)) as client, workers(pg_settings, tmp_path, "w1", "w2") as group:
        video = clicked_video(client, tmp_path, "pg", FRAMES)
        base, first = video["base"], video["obj"]
        label = client.get(f"/api/v1/projects/{video['pid']}/labels").json()[0]["id"]
        second, third = (client.post(f"{base}/objects", json={"label_id": label}).json()["id"] for _ in range(2))
        click = {"frame_index": 0, "kind": "point", "x": 30, "y": 60, "positive": True}
        assert client.post(f"{base}/prompts", json={**click, "object_id": second}).status_code == 201
        wait_ready(group, "w1", "w2")
        jobs = [
            client.post(f"{base}/propagate", json={"object_ids": [o], "start_frame": 0, "direction": "forward"}).json()
            for o in (first, second)
        ]
        clicks = 0
        for frame in range(1, FRAMES):  # the annotator works on the frames the workers are writing
            body = {**click, "object_id": third, "frame_index": frame, "x": 30 + frame * 6}
            response = client.post(f"{base}/prompts", json=body)
            assert response.status_code == 201, response.text
            clicks += 1
        for j in jobs:
            wait_for(lambda j=j: job(client, j["id"])["status"] == "completed", 90, f"job {j['id']} ended")
        assert {row(pg_settings, j["id"]).worker for j in jobs} == {"w1", "w2"}
        masks = Counter((a["object_id"], a["frame_index"]) for a in client.get(f"{base}/annotations").json())
        assert all(n == 1 for n in masks.values())
        for obj in (first, second):  # tracked from frame 0 through every frame
            assert sorted(f for o, f in masks if o == obj) == list(range(FRAMES)), f"object {obj}"
        assert sorted(f for o, f in masks if o == third) == list(range(1, FRAMES))  # every click's mask
        prompts = client.get(f"{base}/prompts").json()
        assert len([p for p in prompts if p["object_id"] == third]) == clicks
