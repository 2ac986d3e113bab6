"""What the scale tests do as an annotator would: a project, a video with an object, a click, tracking."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import synthetic_video, upload, wait_media_ready

W, H = 160, 120


def clicked_video(client: TestClient, tmp_path: Path, name: str, frames: int) -> dict[str, Any]:
    """A video whose disc was clicked on frame 0: ready to track."""
    pid = client.post("/api/v1/projects", json={"name": name, "media_type": "video"}).json()["id"]
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc", "color": "#00ff00"}).json()
    data = synthetic_video(tmp_path / f"{name}.mp4", frames=frames).read_bytes()
    (media,) = upload(client, pid, (f"{name}.mp4", data, "video/mp4")).json()
    wait_media_ready(client, pid, media["id"])
    base = f"/api/v1/projects/{pid}/media/{media['id']}"
    obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()
    click = {"object_id": obj["id"], "frame_index": 0, "kind": "point", "x": 30, "y": 60, "positive": True}
    assert client.post(f"{base}/prompts", json=click).status_code == 201
    return {"pid": pid, "mid": media["id"], "base": base, "obj": obj["id"], "frames": frames}


def track(client: TestClient, video: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{video['base']}/propagate", json={"start_frame": 0, "direction": "forward"})
    assert response.status_code == 202, response.text
    return response.json()


def wait_for(predicate, timeout: float, what: str, poll: float = 0.05) -> float:  # type: ignore[no-untyped-def]
    """Seconds until ``predicate()`` held (AssertionError after ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(poll)
    raise AssertionError(f"{what}: not within {timeout} s")


def job(client: TestClient, job_id: int) -> dict[str, Any]:
    return client.get(f"/api/v1/jobs/{job_id}").json()


def masks_by_frame(client: TestClient, video: dict[str, Any]) -> dict[int, str]:
    rows = client.get(f"{video['base']}/annotations").json()
    frames = [r["frame_index"] for r in rows]
    assert len(frames) == len(set(frames)), f"a frame holds two masks of one object: {sorted(frames)}"
    return {r["frame_index"]: r["rle"]["counts"] for r in rows}
