"""Queues that never block the annotator (in-process mode): downloads run on their own queue, a
second press returns the queued download, an unreachable Hub fails at once, a cancel lands within a
second even mid-download. The Hub is unreachable here; a download that does progress is faked."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.scale.studio import clicked_video, job, track, wait_for
from video_seg_backend.main import create_app

pytest.importorskip("sam2", reason="the sam2 package is not installed")
MODEL = "sam2.1_hiera_tiny"


def slow_download(release: threading.Event):
    """huggingface_hub's download as seen from the job: bytes trickle in until ``release``."""

    def hf_hub_download(*, repo_id: str, filename: str, local_dir: Path, tqdm_class=None, **_: object) -> str:
        bar = tqdm_class(total=100, initial=0)
        while not release.wait(0.05):
            bar.update(1)
        path = Path(local_dir) / filename
        path.write_bytes(b"\0" * 100)
        return str(path)

    return hf_hub_download


@pytest.fixture
def online(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return make_settings(tmp_path, offline=False)


def test_tracking_runs_while_a_download_is_on_its_way_and_a_second_press_returns_it(tmp_path, monkeypatch, online):
    import huggingface_hub

    release = threading.Event()
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", slow_download(release))
    monkeypatch.setattr("video_seg_backend.jobs.model_download.hub_unreachable_reason", lambda: None)
    with TestClient(create_app(online)) as client:
        video = clicked_video(client, tmp_path, "v", frames=8)
        download = client.post(f"/api/v1/models/{MODEL}/download").json()
        wait_for(lambda: job(client, download["id"])["status"] == "running", 10, "the download started")
        presses = [client.post(f"/api/v1/models/{MODEL}/download") for _ in range(5)]
        assert {p.status_code for p in presses} == {202}
        assert {p.json()["id"] for p in presses} == {download["id"]}  # the same job, not five more
        tracking = track(client, video)
        waited = wait_for(lambda: job(client, tracking["id"])["status"] == "completed", 30, "tracking ended")
        assert job(client, download["id"])["status"] == "running"  # tracking did not wait behind it
        print(f"tracking finished in {waited:.2f} s while the download ran")
        release.set()
        wait_for(lambda: job(client, download["id"])["status"] == "completed", 10, "the download ended")


def test_a_canceled_download_stops_within_a_second(tmp_path, monkeypatch, online):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", slow_download(threading.Event()))
    monkeypatch.setattr("video_seg_backend.jobs.model_download.hub_unreachable_reason", lambda: None)
    with TestClient(create_app(online)) as client:
        download = client.post(f"/api/v1/models/{MODEL}/download").json()
        wait_for(lambda: job(client, download["id"])["progress_done"] > 0, 10, "bytes arrived")
        assert client.post(f"/api/v1/jobs/{download['id']}/cancel").status_code == 200
        took = wait_for(lambda: job(client, download["id"])["status"] == "canceled", 1.0, "the download stopped")
        print(f"download canceled in {took:.2f} s")


def test_an_unreachable_hub_fails_the_download_at_once_with_the_reason(tmp_path, monkeypatch, online):
    with socket.socket() as closed:  # a port nothing listens on: connection refused, as with no route
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with TestClient(create_app(online)) as client:
        started = time.monotonic()
        download = client.post(f"/api/v1/models/{MODEL}/download").json()
        wait_for(lambda: job(client, download["id"])["status"] == "failed", 5, "the download failed")
        took = time.monotonic() - started
        failed = job(client, download["id"])
        assert "cannot be reached from this machine" in failed["error"] and f"127.0.0.1:{port}" in failed["error"]
        assert took < 5
        again = client.post(f"/api/v1/models/{MODEL}/download").json()
        assert again["id"] != download["id"]  # a failed download is not returned again: a new try
        assert not {m["key"]: m for m in client.get("/api/v1/models").json()}[MODEL]["available"]


def test_offline_mode_refuses_the_download_with_the_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with TestClient(create_app(make_settings(tmp_path, offline=False))) as client:
        refused = client.post(f"/api/v1/models/{MODEL}/download")
        assert refused.status_code == 409 and "offline" in refused.json()["detail"]


def test_presses_at_two_api_replicas_at_once_make_one_download(tmp_path, monkeypatch, online):
    """Two API processes over one database (two apps here): presses racing on both get one job."""
    import contextlib

    import huggingface_hub

    # The apps share this process and its lock; replicas would not, so race without it.
    monkeypatch.setattr("video_seg_backend.api.routes.health._download_lock", contextlib.nullcontext())

    release = threading.Event()
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", slow_download(release))
    monkeypatch.setattr("video_seg_backend.jobs.model_download.hub_unreachable_reason", lambda: None)
    with TestClient(create_app(online)) as first, TestClient(create_app(online)) as second:
        ids: list[int] = []
        start = threading.Barrier(8)

        def press(client: TestClient) -> None:
            start.wait()
            response = client.post(f"/api/v1/models/{MODEL}/download")
            assert response.status_code == 202, response.text
            ids.append(response.json()["id"])

        threads = [threading.Thread(target=press, args=(c,)) for c in [first, second] * 4]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(ids) == 8 and len(set(ids)) == 1, ids
        only = ids[0]
        release.set()
        wait_for(lambda: job(first, only)["status"] == "completed", 10, "the download ended")
        assert job(second, only)["status"] == "completed"
        assert job(first, only)["attempts"] == 1 and job(first, only)["queue"] == "io"
