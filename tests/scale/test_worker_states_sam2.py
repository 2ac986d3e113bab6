"""SAM 2 on a worker: a video state kept warm on the worker that tracked it is rebuilt after the
annotator's correction click in the API process, so the warm worker tracks from the corrected key
frame exactly as a fresh worker (which replays the stored prompts) does. The random-weight tiny
model is seeded: every process holds the same weights, so masks compare bit for bit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.real_services import RedisServer, redis_server
from tests.scale.studio import clicked_video, job, masks_by_frame, wait_for
from tests.scale.workers import workers
from video_seg_backend.main import create_app

pytest.importorskip("sam2", reason="the sam2 package is not installed")
pytestmark = pytest.mark.sam2
MODEL = "sam2.1_hiera_tiny_random"
FRAMES = 12
SAM2 = {"allow_random_weights": True, "sam2_image_size": 256, "default_model": MODEL, "device": "cpu"}


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


def click_and_track(client: TestClient, tmp_path: Path, name: str) -> dict:
    """Click frame 0, track to the end, then correct frame 6 with a second click."""
    video = clicked_video(client, tmp_path, name, FRAMES)
    tracked(client, video, 0)
    click = {"object_id": video["obj"], "frame_index": 6, "kind": "point", "x": 40, "y": 30, "positive": False}
    assert client.post(f"{video['base']}/prompts", json=click).status_code == 201
    return video


def tracked(client: TestClient, video: dict, start: int) -> dict[int, str]:
    """Track forward from ``start``; the masks after it."""
    body = {"start_frame": start, "direction": "forward", "model": MODEL}
    started = client.post(f"{video['base']}/propagate", json=body)
    assert started.status_code == 202, started.text
    wait_for(lambda: job(client, started.json()["id"])["status"] == "completed", 180, "tracking ended")
    return {f: rle for f, rle in masks_by_frame(client, video).items() if f > start}


def test_a_warm_worker_state_is_rebuilt_after_a_click_in_the_api(tmp_path, redis):
    settings = make_settings(tmp_path, broker_url=redis.url, job_heartbeat_s=0.5, job_stale_after_s=2.0, **SAM2)
    env = {
        "VSS_ALLOW_RANDOM_WEIGHTS": "1", "VSS_SAM2_IMAGE_SIZE": "256", "VSS_DEFAULT_MODEL": MODEL, "VSS_DEVICE": "cpu"
    }  # fmt: skip
    with TestClient(create_app(settings)) as client, workers(settings, tmp_path, "warm", **env) as group:
        group.wait_ready("warm", "the worker started")
        warm_video = click_and_track(client, tmp_path, "a")
        warm = tracked(client, warm_video, 6)  # back on "warm", which tracked this video before the click
        cold_video = click_and_track(client, tmp_path, "b")  # the same video, clicked the same way
        group.procs["warm"].terminate()
        group.procs["warm"].wait(30)
        group.start("cold")
        group.wait_ready("cold", "the second worker started")
        cold = tracked(client, cold_video, 6)  # a fresh process: its state replays the stored prompts
    assert sorted(warm) == list(range(7, FRAMES))
    assert warm == cold
