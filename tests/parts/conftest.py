"""A video of a red disc moving right (tests/conftest.py), a tool label with three parts and the
disc as a whole object, made through the real API."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pycocotools import mask as mask_utils

from tests.conftest import synthetic_frame, synthetic_video, upload, wait_media_ready

API = "/api/v1"
W, H, N = 160, 120, 12
PARTS = ["shaft", "wrist", "gripper"]


def disc(i: int) -> np.ndarray:
    frame = synthetic_frame(i, W, H)
    return (frame[..., 0] == 230) & (frame[..., 1] == 40)


def decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()}).astype(bool)


def encode(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [H, W], "counts": rle["counts"].decode()}


@dataclass
class Tool:
    client: TestClient
    pid: int
    base: str  # /api/v1/projects/<pid>/media/<mid>
    label: int
    parent: int  # the disc, a whole object of the tool label

    def part(self, name: str, parent: int | None = None) -> int:
        r = self.client.post(f"{self.base}/objects", json={"parent_id": parent or self.parent, "part": name})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def masks(self, object_id: int) -> dict[int, np.ndarray]:
        rows = self.client.get(f"{self.base}/annotations", params={"start": 0, "end": N - 1}).json()
        return {m["frame_index"]: decode(m["rle"]) for m in rows if m["object_id"] == object_id}


@pytest.fixture
def tool(client: TestClient, tmp_path) -> Tool:  # type: ignore[no-untyped-def]
    pid = client.post(f"{API}/projects", json={"name": "Tools"}).json()["id"]
    label = client.post(f"{API}/projects/{pid}/labels", json={"name": "tool", "color": "#00ff00"}).json()["id"]
    r = client.put(f"{API}/projects/{pid}/labels/{label}/structure", json={"parts": PARTS})
    assert r.status_code == 200, r.text
    (media,) = upload(
        client, pid, ("v.mp4", synthetic_video(tmp_path / "v.mp4", frames=N).read_bytes(), "video/mp4")
    ).json()
    wait_media_ready(client, pid, media["id"])
    base = f"{API}/projects/{pid}/media/{media['id']}"
    parent = client.post(f"{base}/objects", json={"label_id": label}).json()["id"]
    return Tool(client, pid, base, label, parent)
