"""Key frames, one definition: the masks a person made (clicked, imported, edited) are key frames in
the object list, the timeline summary and every export alike."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from pycocotools import mask as mask_utils
from sqlalchemy import event

from tests.conftest import synthetic_video, upload, wait_job, wait_media_ready
from tests.test_api_datasets import CVAT_KEYFRAMES, H, N, W
from video_seg_backend.formats import DatasetMedia, import_annotations


def new_video(client, tmp_path, name: str = "disc.mp4") -> tuple[int, str]:
    pid = client.post("/api/v1/projects", json={"name": name, "media_type": "video"}).json()["id"]
    data = synthetic_video(tmp_path / name, frames=N).read_bytes()
    (media,) = upload(client, pid, (name, data, "video/mp4")).json()
    wait_media_ready(client, pid, media["id"])
    return pid, f"/api/v1/projects/{pid}/media/{media['id']}"


def export(client, pid: int, fmt: str) -> zipfile.ZipFile:
    response = client.get(f"/api/v1/projects/{pid}/export", params={"format": fmt})
    assert response.status_code == 200, response.text
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_imported_key_frames_are_key_frames_in_the_studio_and_in_every_export(client, tmp_path):
    pid, base = new_video(client, tmp_path)
    imported = client.post(f"{base}/import", params={"format": "cvat_video"}, files={"file": ("a.xml", CVAT_KEYFRAMES)})
    assert imported.status_code == 201, imported.text
    job = client.post(f"{base}/propagate", json={"start_frame": None}).json()
    assert wait_job(client, job["id"])["status"] == "completed"

    (obj,) = client.get(f"{base}/objects").json()
    (summary,) = client.get(f"{base}/annotations/summary").json()
    assert obj["key_frames"] == summary["key_frames"] == [0]

    (ytvis,) = json.loads(export(client, pid, "ytvis").read("annotations/instances.json"))["annotations"]
    assert ytvis["key_frames"] == [0]

    cvat = export(client, pid, "cvat_video").read("annotations.xml")
    media = DatasetMedia(id=1, name="disc.mp4", kind="video", width=W, height=H, num_frames=N)
    back = import_annotations("cvat_video", cvat, "annotations.xml", media, [])
    assert [m.frame_index for m in back.keyframes] == [0]

    # A COCO export imported into another video keeps the same key frame.
    coco = export(client, pid, "coco").read("annotations/instances_default.json")
    _, other = new_video(client, tmp_path, "copy.mp4")
    again = client.post(f"{other}/import", params={"format": "coco"}, files={"file": ("c.json", coco)})
    assert again.status_code == 201 and again.json()["key_frames"] == 1, again.text
    (copy,) = client.get(f"{other}/objects").json()
    assert copy["key_frames"] == [0]


def square(size: int, at: int) -> dict:
    mask = np.zeros((H, W), dtype=np.uint8, order="F")
    mask[at : at + size, at : at + size] = 1
    rle = mask_utils.encode(mask)
    return {"size": [H, W], "counts": rle["counts"].decode()}


def test_listing_objects_takes_as_many_queries_for_six_objects_as_for_one(client, tmp_path):
    pid, base = new_video(client, tmp_path)
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()
    db = client.app.state.studio.db  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    def list_objects() -> tuple[list[dict], int]:
        statements.clear()
        event.listen(db, "before_cursor_execute", count)
        try:
            listed = client.get(f"{base}/objects").json()
        finally:
            event.remove(db, "before_cursor_execute", count)
        return listed, len(statements)

    def add_object(i: int) -> None:
        obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()
        masks = [
            {"object_id": obj["id"], "frame_index": i, "rle": square(10, 5 * i), "source": "edited"},
            {"object_id": obj["id"], "frame_index": i + 1, "rle": square(10, 5 * i), "source": "propagated"},
        ]
        assert client.put(f"{base}/annotations", json=masks).status_code == 200

    add_object(0)
    one, queries_for_one = list_objects()
    for i in range(1, 6):
        add_object(i)
    six, queries_for_six = list_objects()
    assert [(o["key_frames"], o["annotated_frames"]) for o in one] == [([0], 2)]
    assert [(o["key_frames"], o["annotated_frames"]) for o in six] == [([i], 2) for i in range(6)]
    assert queries_for_six == queries_for_one, statements
