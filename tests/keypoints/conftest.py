"""A project with a video (the moving disc) and a label, made through the real API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
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


# A textured square (blocks of random grey, seeded) sliding right over a background of other blocks:
# texture a point tracker can follow, and a truth we know on every frame.
PATCH_W, PATCH_H, BLOCK = 48, 40, 4
SIZE = (192, 128)


def patch_origin(i: int) -> tuple[int, int]:
    return 20 + 5 * i, 40 + 2 * i


def patch_mask(i: int) -> np.ndarray:
    mask = np.zeros(SIZE[::-1], dtype=bool)
    x, y = patch_origin(i)
    mask[y : y + PATCH_H, x : x + PATCH_W] = True
    return mask


def textured_video(path: Path, frames: int = 12) -> Path:
    rng = np.random.default_rng(7)
    width, height = SIZE
    background = np.kron(rng.integers(0, 256, (height // BLOCK, width // BLOCK)), np.ones((BLOCK, BLOCK)))
    patch = np.kron(rng.integers(0, 256, (PATCH_H // BLOCK, PATCH_W // BLOCK)), np.ones((BLOCK, BLOCK)))
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10, options={"crf": "12"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            grey = background.copy()
            x, y = patch_origin(i)
            grey[y : y + PATCH_H, x : x + PATCH_W] = patch
            rgb = np.repeat(grey[..., None], 3, axis=2).astype(np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    return path


def make_textured_video(client: TestClient, tmp_path: Path, frames: int = 12) -> Video:
    pid = client.post(f"{API}/projects", json={"name": "Tools"}).json()["id"]
    data = textured_video(tmp_path / "patch.mp4", frames).read_bytes()
    (media,) = upload(client, pid, ("patch.mp4", data, "video/mp4")).json()
    wait_media_ready(client, pid, media["id"])
    return Video(client, pid, media["id"], f"{API}/projects/{pid}/media/{media['id']}")


@pytest.fixture
def textured(client: TestClient, tmp_path: Path) -> Video:
    return make_textured_video(client, tmp_path)


@pytest.fixture
def video(client: TestClient, tmp_path: Path) -> Video:
    return make_video(client, tmp_path)
