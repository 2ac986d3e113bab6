"""A project with a video (the moving disc) and a label, made through the real API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import synthetic_video, upload, wait_media_ready

API = "/api/v1"


@dataclass
class Video:
    client: TestClient
    pid: int
    mid: int
    base: str  # /api/v1/projects/<pid>/media/<mid>

    def label(self, name: str, structure: dict | None = None) -> int:
        label = self.client.post(f"{API}/projects/{self.pid}/labels", json={"name": name}).json()
        if structure is not None:
            r = self.client.put(f"{API}/projects/{self.pid}/labels/{label['id']}/structure", json=structure)
            assert r.status_code == 200, r.text
        return int(label["id"])

    def obj(self, label_id: int) -> int:
        r = self.client.post(f"{self.base}/objects", json={"label_id": label_id})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])


def make_video(client: TestClient, tmp_path: Path, frames: int = 12) -> Video:
    pid = client.post(f"{API}/projects", json={"name": "Poses"}).json()["id"]
    data = synthetic_video(tmp_path / "disc.mp4", frames=frames).read_bytes()
    (media,) = upload(client, pid, ("disc.mp4", data, "video/mp4")).json()
    wait_media_ready(client, pid, media["id"])
    return Video(client, pid, media["id"], f"{API}/projects/{pid}/media/{media['id']}")


@pytest.fixture
def video(client: TestClient, tmp_path: Path) -> Video:
    return make_video(client, tmp_path)
