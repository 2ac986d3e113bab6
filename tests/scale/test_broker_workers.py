"""Broker mode with the real parts: Redis on loopback, two Celery worker processes, the API in
this process, one SQLite data folder. Jobs spread over both workers; a worker SIGKILLed mid-tracking
leaves a job the other one finishes with every frame written once; a cancel reaches a job on
another process within a frame; a Redis restart loses no job."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from tests.conftest import make_settings
from tests.real_services import RedisServer, redis_server
from tests.scale.studio import clicked_video, job, masks_by_frame, track, wait_for
from tests.scale.workers import Workers, workers
from video_seg_backend.core.config import Settings
from video_seg_backend.core.db import build_db_engine
from video_seg_backend.main import create_app
from video_seg_backend.models import Annotation, Job, TrackingChange

FRAMES = 24
DELAY_S = 0.15  # per tracked frame: a job lasts ~3.5 s, long enough to kill or cancel it midway


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture
def broker_settings(tmp_path: Path, redis: RedisServer) -> Settings:
    return make_settings(
        tmp_path, broker_url=redis.url, job_heartbeat_s=0.5, job_stale_after_s=2.0, job_frame_delay_s=DELAY_S
    )


def row(settings: Settings, job_id: int) -> Job:
    engine = build_db_engine(settings)
    try:
        with Session(engine) as session:
            found = session.get(Job, job_id)
            assert found is not None
            session.expunge(found)
            return found
    finally:
        engine.dispose()


def wait_ready(group: Workers, *names: str) -> None:
    for name in names:
        group.wait_ready(name)


def test_jobs_spread_over_two_workers_and_a_killed_worker_s_job_is_finished_by_the_other(tmp_path, broker_settings):
    with TestClient(create_app(broker_settings)) as client, workers(broker_settings, tmp_path, "w1", "w2") as group:
        a = clicked_video(client, tmp_path, "a", FRAMES)
        b = clicked_video(client, tmp_path, "b", FRAMES)
        wait_ready(group, "w1", "w2")
        first = [track(client, a), track(client, b)]
        for j in first:
            wait_for(lambda j=j: job(client, j["id"])["status"] == "completed", 60, f"job {j['id']} ended")
        assert {row(broker_settings, j["id"]).worker for j in first} == {"w1", "w2"}  # one each
        warm = track(client, b)  # back to the worker that holds b's state, not any free one
        wait_for(lambda: job(client, warm["id"])["status"] == "completed", 60, "b tracked again")
        holder = row(broker_settings, first[1]["id"]).worker
        assert (row(broker_settings, warm["id"]).worker, row(broker_settings, warm["id"]).queue) == (
            holder,
            f"tracking.{holder}",
        )
        before = masks_by_frame(client, a)
        assert sorted(before) == list(range(FRAMES))

        again = track(client, a)
        wait_for(lambda: job(client, again["id"])["progress_done"] >= 5, 30, "the job is midway")
        victim = row(broker_settings, again["id"]).worker
        assert victim in ("w1", "w2")
        group.kill(victim)
        took = wait_for(
            lambda: row(broker_settings, again["id"]).worker not in (None, victim), 30, "another worker took the job"
        )
        print(f"takeover {took:.2f} s after SIGKILL (stale after {broker_settings.job_stale_after_s} s)")
        wait_for(lambda: job(client, again["id"])["status"] == "completed", 60, "the resumed job ended")
        done = row(broker_settings, again["id"])
        assert done.attempts == 2 and done.progress_done == done.progress_total == FRAMES - 1
        assert done.params["result"]["frames_written"] == FRAMES - 1

        after = masks_by_frame(client, a)  # one mask per frame (asserted inside), none missing
        assert sorted(after) == list(range(FRAMES))
        engine = build_db_engine(broker_settings)
        with Session(engine) as session:
            kept = session.exec(select(TrackingChange.frame_index).where(TrackingChange.job_id == again["id"])).all()
            rows = session.exec(
                select(func.count()).select_from(Annotation).where(col(Annotation.media_id) == a["mid"])
            ).one()
        engine.dispose()
        assert sorted(kept) == list(range(1, FRAMES)) and rows == FRAMES  # each frame kept once for undo
        assert client.post(f"/api/v1/jobs/{again['id']}/undo").status_code == 200
        assert masks_by_frame(client, a) == before  # undo brings back exactly the masks before the job


def test_a_cancel_reaches_a_job_on_another_process_within_a_frame(tmp_path, broker_settings):
    with TestClient(create_app(broker_settings)) as client, workers(broker_settings, tmp_path, "w1") as group:
        video = clicked_video(client, tmp_path, "c", FRAMES)
        wait_ready(group, "w1")
        running = track(client, video)
        wait_for(lambda: job(client, running["id"])["progress_done"] >= 3, 30, "the job is midway")
        written_at_cancel = len(masks_by_frame(client, video)) - 1
        assert client.post(f"/api/v1/jobs/{running['id']}/cancel").status_code == 200
        took = wait_for(lambda: job(client, running["id"])["status"] == "canceled", 5, "the job stopped")
        written = len(masks_by_frame(client, video)) - 1
        print(f"canceled across processes in {took:.2f} s; {written - written_at_cancel} frame(s) after the request")
        assert written - written_at_cancel <= 1 and written < FRAMES - 1


def test_a_redis_restart_loses_no_job(tmp_path, broker_settings, redis):
    with TestClient(create_app(broker_settings)) as client, workers(broker_settings, tmp_path, "w1") as group:
        videos = [clicked_video(client, tmp_path, f"r{i}", 12) for i in range(2)]
        wait_ready(group, "w1")
        jobs = [track(client, v) for v in videos]  # the second waits in Redis while the first runs
        wait_for(lambda: job(client, jobs[0]["id"])["status"] == "running", 30, "the first job started")
        redis.stop()  # no persistence: the queued message is gone
        redis.start()
        for j in jobs:
            wait_for(lambda j=j: job(client, j["id"])["status"] == "completed", 90, f"job {j['id']} ended")
        assert [sorted(masks_by_frame(client, v)) for v in videos] == [list(range(12))] * 2


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's reaper has not collected it


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_worker_runs_below_the_api_s_priority_and_its_io_slot_dies_with_it(tmp_path, broker_settings):
    group = Workers(broker_settings, tmp_path)
    try:
        parent = group.start("both", queues="tracking,io")
        wait_for(lambda: _children(parent.pid), 30, "the io slot started", poll=0.1)
        (io_slot,) = _children(parent.pid)
        group.wait_ready("both", "the worker started")
        # Both run below the API's priority (VSS_WORKER_NICE, 10), the child not twice as low.
        assert [_niceness(parent.pid), _niceness(io_slot)] == [10, 10]
        group.kill("both")
        wait_for(lambda: not _alive(io_slot), 15, "the io slot ended with its worker", poll=0.1)
    finally:
        group.stop_all()


def test_an_export_runs_on_a_worker_s_io_slot_while_the_api_serves_its_file(tmp_path, broker_settings):
    with TestClient(create_app(broker_settings)) as client, workers(broker_settings, tmp_path) as group:
        group.start("exporter", queues="io")
        video = clicked_video(client, tmp_path, "e", 8)
        tracked = track(client, video)
        wait_ready(group, "exporter")
        exported = client.post(f"/api/v1/projects/{video['pid']}/exports", json={"format": "ytvis"}).json()
        wait_for(lambda: job(client, exported["id"])["status"] != "queued", 30, "a worker took the export")
        assert job(client, tracked["id"])["status"] == "queued"  # no tracking worker here: it waits
        wait_for(lambda: job(client, exported["id"])["status"] == "completed", 60, "the export ended")
        assert row(broker_settings, exported["id"]).worker == "exporter"
        file = client.get(f"/api/v1/jobs/{exported['id']}/file")
        assert file.status_code == 200 and file.content[:2] == b"PK"


@pytest.mark.parametrize("torch_first", [False, True])
def test_vss_worker_threads_keeps_a_worker_s_engine_to_that_many_threads(torch_first):
    """A CPU server runs a worker per core: each engine's OpenCV and torch get one thread, whether
    torch was loaded before the limit was set or after."""
    imports = "import cv2, torch\n" if torch_first else ""
    code = (
        f"{imports}from video_seg_backend.__main__ import limit_threads\nlimit_threads(1)\n"
        "import cv2, torch\nprint(cv2.getNumThreads(), torch.get_num_threads())"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "1"]
