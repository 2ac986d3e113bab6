"""A video with persons drawn through the API, and an AVA label map, for the actions tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from pycocotools import mask as mask_utils

from tests.conftest import synthetic_video, upload, wait_media_ready

API = "/api/v1"
# From AVA v2.2's ava_action_list_v2.2.pbtxt (five of its 80 actions, as the file writes them).
AVA_LABEL_MAP = """label {
  name: "bend/bow (at the waist)"
  label_id: 1
  label_type: PERSON_MOVEMENT
}
label {
  name: "sit"
  label_id: 11
  label_type: PERSON_MOVEMENT
}
label {
  name: "stand"
  label_id: 12
  label_type: PERSON_MOVEMENT
}
label {
  name: "carry/hold (an object)"
  label_id: 17
  label_type: OBJECT_MANIPULATION
}
label {
  name: "talk to (e.g., self, a person, a group)"
  label_id: 79
  label_type: PERSON_INTERACTION
}
"""
SIT, STAND, BEND, CARRY, TALK = 11, 12, 1, 17, 79

Box = tuple[int, int, int, int]


def rle_of_box(box: Box, height: int, width: int) -> dict[str, object]:
    x1, y1, x2, y2 = box
    mask = np.zeros((height, width), np.uint8)
    mask[y1:y2, x1:x2] = 1
    rle = mask_utils.encode(np.asfortranarray(mask))
    return {"size": [height, width], "counts": rle["counts"].decode()}


def video_item(client: TestClient, tmp_path: Path, headers: dict[str, str] | None = None, frames: int = 40,
               fps: int = 10, pid: int | None = None) -> tuple[int, int]:  # fmt: skip
    """A 160x120 video of ``frames`` frames at ``fps`` (40 at 10: keyframes 0, 10, 20, 30 at 1 Hz)."""
    h = headers or {}
    if pid is None:
        pid = client.post(f"{API}/projects", json={"name": "actions"}, headers=h).json()["id"]
    path = synthetic_video(tmp_path / f"walk{frames}.mp4", frames=frames, fps=fps)
    client.headers.update(h)
    try:
        (media,) = upload(client, pid, ("walk.mp4", path.read_bytes(), "video/mp4")).json()
        assert wait_media_ready(client, pid, media["id"])["status"] == "ready"
    finally:
        for key in h:
            del client.headers[key]
    return pid, media["id"]


def person(client: TestClient, pid: int, mid: int, label_id: int, boxes: dict[int, Box],
           headers: dict[str, str] | None = None, size: tuple[int, int] = (120, 160)) -> int:  # fmt: skip
    """An object whose mask is the given box on each given frame."""
    h = headers or {}
    obj = client.post(f"{API}/projects/{pid}/media/{mid}/objects", json={"label_id": label_id}, headers=h).json()
    body = [{"object_id": obj["id"], "frame_index": f, "rle": rle_of_box(b, *size)} for f, b in boxes.items()]
    answer = client.put(f"{API}/projects/{pid}/media/{mid}/annotations", json=body, headers=h)
    assert answer.status_code == 200, answer.text
    return int(obj["id"])


def label_map(client: TestClient, pid: int, headers: dict[str, str] | None = None) -> None:
    answer = client.post(
        f"{API}/projects/{pid}/actions/import",
        files={"file": ("ava_action_list_v2.2.pbtxt", AVA_LABEL_MAP.encode(), "text/plain")},
        headers=headers or {},
    )
    assert answer.status_code == 201, answer.text


def tick(client: TestClient, pid: int, mid: int, obj: int, frame: int, actions: list[int],
         headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]  # fmt: skip
    return client.put(
        f"{API}/projects/{pid}/media/{mid}/action-labels",
        json={"object_id": obj, "frame_index": frame, "actions": actions},
        headers=headers or {},
    )
