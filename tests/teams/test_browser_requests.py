"""What a browser sends: the event stream and image URLs carry no header, only the HttpOnly cookie
set at sign-in; and no token ever shows in the server's access log."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from tests.conftest import synthetic_video
from tests.teams.conftest import ADMIN_PASSWORD, API, team_settings
from video_seg_backend.auth.cli import create_admin
from video_seg_backend.main import create_app


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    settings = team_settings(tmp_path)
    create_admin("admin", ADMIN_PASSWORD, settings)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # log_config=None: uvicorn's access log goes to the root logger, where the test reads it.
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=True)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_the_cookie_opens_the_event_stream_and_frames_and_no_token_is_logged(
    server: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    with httpx.Client(base_url=server, timeout=30) as browser:
        signed_in = browser.post(f"{API}/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
        token = signed_in.json()["access_token"]
        assert browser.cookies.get("vss_token") == token
        pid = browser.post(f"{API}/projects", json={"name": "p"}).json()["id"]
        video = synthetic_video(tmp_path / "v.mp4", frames=3).read_bytes()
        (media,) = browser.post(f"{API}/projects/{pid}/media", files=[("files", ("v.mp4", video, "video/mp4"))]).json()
        deadline = time.monotonic() + 60
        while browser.get(f"{API}/projects/{pid}/media/{media['id']}").json()["status"] == "processing":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        frame = browser.get(f"{API}/projects/{pid}/media/{media['id']}/frames/0")
        assert frame.status_code == 200 and frame.headers["content-type"].startswith("image/")
        with browser.stream("GET", f"{API}/projects/{pid}/events") as stream:
            assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")

    with httpx.Client(base_url=server, timeout=30) as stranger:  # no cookie, no header
        assert stranger.get(f"{API}/projects/{pid}/media/{media['id']}/frames/0").status_code == 401
        with stranger.stream("GET", f"{API}/projects/{pid}/events") as stream:
            assert stream.status_code == 401

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert f"/api/v1/projects/{pid}/events" in logged  # the access log was read
    assert token not in logged and "vss_token" not in logged
