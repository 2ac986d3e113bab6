"""Shared fixtures: the real app on a temporary data folder, driven over HTTP (TestClient)."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient

from video_seg_backend.core.config import Settings
from video_seg_backend.main import create_app

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SAMPLE_VIDEOS = SHARED_DATA / "videos"
VOS = SHARED_DATA / "vos"
# libx264's macroblock tree (its lookahead) gives other pixels on every encode of the same DAVIS
# frames (854x480, up to 30 levels apart); without it a DAVIS test clip is the same clip every time.
# (The small synthetic clips decode to the same pixels either way.)
X264 = {"x264-params": "mbtree=0"}


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"sample data {path} is missing (expected ../shared/data beside the repository)")
    return path


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "checkpoint_dir": tmp_path / "checkpoints",
        "offline": True,
        "frontend_dir": tmp_path / "no-frontend",
        "sse_heartbeat_s": 1.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def synthetic_video(
    path: Path, frames: int = 12, size: tuple[int, int] = (160, 120), fps: int = 10, codec: str = "libx264"
) -> Path:
    """A disc moving left to right over a gradient: a video whose truth we know."""
    width, height = size
    container_format = {"libx264": "mp4", "libvpx-vp9": "webm", "mpeg4": "matroska"}.get(codec, "mp4")
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(synthetic_frame(i, width, height), format="rgb24")))
        out.mux(stream.encode())
    return path


def synthetic_frame(i: int, width: int, height: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    img = np.stack([xx * 255 // max(1, width - 1), yy * 255 // max(1, height - 1), np.full_like(xx, 60)], -1)
    cx, cy, r = 30 + i * 6, height // 2, min(width, height) // 6
    img[(xx - cx) ** 2 + (yy - cy) ** 2 <= r * r] = (230, 40, 40)
    return img.astype(np.uint8)


def png_bytes(width: int = 64, height: int = 48) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(synthetic_frame(0, width, height)).save(buf, format="PNG")
    return buf.getvalue()


def wait_media_ready(client: TestClient, pid: int, mid: int, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        media = client.get(f"/api/v1/projects/{pid}/media/{mid}").json()
        if media["status"] != "processing":
            return media
        time.sleep(0.05)
    raise AssertionError(f"media {mid} still processing after {timeout}s")


def wait_job(client: TestClient, job_id: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] in ("completed", "failed", "canceled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} not finished after {timeout}s")


def upload(client: TestClient, pid: int, *files: tuple[str, bytes, str]):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/projects/{pid}/media", files=[("files", (name, data, ctype)) for name, data, ctype in files]
    )


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []


@pytest.fixture
def live_server(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, for streaming (SSE) tests."""
    import socket
    import threading

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
