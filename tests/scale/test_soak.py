"""Soak on loopback: 5 simulated annotators clicking and tracking on their own videos and 20
event-stream clients, against the API under uvicorn in broker mode with two real workers, for
VSS_SOAK_S seconds (60): no server error, no prompt or mask lost."""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.real_services import free_port, redis_server
from tests.scale.studio import clicked_video
from tests.scale.test_broker_workers import wait_ready
from tests.scale.workers import workers
from video_seg_backend.core.config import Settings
from video_seg_backend.main import create_app

ANNOTATORS, STREAMS, FRAMES = 5, 20, 20
SOAK_S = float(os.environ.get("VSS_SOAK_S", "60"))


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[str, Settings]]:
    with redis_server() as redis:
        settings = make_settings(tmp_path, broker_url=redis.url, job_heartbeat_s=0.5)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}/api/v1", settings
        finally:
            server.should_exit = True
            thread.join(15)


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []

    def saw(self, response: httpx.Response) -> httpx.Response:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.errors.append(f"{response.request.method} {response.request.url}: {response.text[:200]}")
        return response


def annotate(api: str, video: dict, stop: threading.Event, tally: Tally, seed: int) -> dict:
    """Click random frames; track now and then, waiting for the job as a person would watch it."""
    rng = random.Random(seed)
    base = f"{api}{video['base'].removeprefix('/api/v1')}"
    made, jobs = 0, []
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            frame = rng.randrange(FRAMES)
            body = {"object_id": video["obj"], "frame_index": frame, "kind": "point", "x": 30 + frame * 6, "y": 60}
            if tally.saw(http.post(f"{base}/prompts", json=body)).status_code == 201:
                made += 1
            if rng.random() < 0.15:
                started = tally.saw(http.post(f"{base}/propagate", json={"start_frame": None}))
                if started.status_code == 202:
                    jobs.append(started.json()["id"])
                    while not stop.is_set():
                        status = tally.saw(http.get(f"{api}/jobs/{jobs[-1]}")).json()["status"]
                        if status not in ("queued", "running"):
                            break
                        time.sleep(0.2)
    return {"made": made, "jobs": jobs}


def stream(url: str, stop: threading.Event, counts: list[int], index: int, tally: Tally) -> None:
    with httpx.Client(timeout=httpx.Timeout(10, read=30)) as http:
        while not stop.is_set():
            with http.stream("GET", url) as response:
                tally.saw(response)
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        counts[index] += 1
                    if stop.is_set():
                        return


@pytest.mark.slow
def test_five_annotators_and_twenty_streams_for_a_minute(tmp_path, api):
    url, settings = api
    with TestClient(create_app(settings)) as setup:  # videos made through a second API replica
        videos = [clicked_video(setup, tmp_path, f"s{i}", FRAMES) for i in range(ANNOTATORS)]
    with workers(settings, tmp_path, "w1", "w2") as group:
        wait_ready(group, "w1", "w2")
        tally, stop = Tally(), threading.Event()
        counts = [0] * STREAMS
        streams = [
            threading.Thread(
                target=stream, args=(f"{url}/projects/{videos[i % ANNOTATORS]['pid']}/events", stop, counts, i, tally)
            )
            for i in range(STREAMS)
        ]
        results: list[dict] = [{} for _ in videos]

        def run(i: int) -> None:
            results[i] = annotate(url, videos[i], stop, tally, seed=i)

        people = [threading.Thread(target=run, args=(i,)) for i in range(ANNOTATORS)]
        for t in streams + people:
            t.start()
        time.sleep(SOAK_S)
        stop.set()
        for t in people + streams:
            t.join(90)
        with httpx.Client(timeout=60) as http:
            for video, result in zip(videos, results, strict=True):
                base = f"{url}{video['base'].removeprefix('/api/v1')}"
                deadline = time.monotonic() + 120
                for job_id in result["jobs"]:  # the last one may still run: it ends
                    while http.get(f"{url}/jobs/{job_id}").json()["status"] in ("queued", "running"):
                        assert time.monotonic() < deadline
                        time.sleep(0.2)
                    assert http.get(f"{url}/jobs/{job_id}").json()["status"] == "completed"
                prompts = http.get(f"{base}/prompts").json()
                assert len(prompts) == 1 + result["made"]  # the set-up click and every click since
                masks = Counter(a["frame_index"] for a in http.get(f"{base}/annotations").json())
                assert set(masks.values()) == {1}
                if result["jobs"]:
                    assert sorted(masks) == list(range(FRAMES))  # tracked through: every frame has its mask
        total = sum(tally.statuses.values())
        print(
            f"soak {SOAK_S:.0f} s: {total} requests {dict(tally.statuses)}, "
            f"{sum(r['made'] for r in results)} clicks, {sum(len(r['jobs']) for r in results)} tracking jobs, "
            f"{sum(counts)} events over {STREAMS} streams"
        )
        assert tally.errors == []
        assert all(n > 0 for n in counts), counts
        assert sum(r["made"] for r in results) > ANNOTATORS * 5
