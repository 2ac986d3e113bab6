"""AVA export read back with mmaction2's semantics, on a real DAVIS person (hockey, uploaded as an
image sequence), and AVA import restoring persons and labels."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from tests.actions.ava_reader import load, read_labelmap
from tests.actions.helpers import API, AVA_LABEL_MAP, BEND, CARRY, SIT, STAND, label_map, rle_of_box, tick
from tests.conftest import VOS, need_shared, wait_media_ready
from video_seg_backend.evaluation.clicker import mask_box
from video_seg_backend.storage.masks import encode_rle

W, H = 854, 480


def hockey_zip() -> bytes:
    sequence = need_shared(VOS / "hockey")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for path in sorted((sequence / "JPEGImages").glob("*.jpg")):
            archive.write(path, f"JPEGImages/480p/hockey/{path.name}")
    return buf.getvalue()


def truth_mask(frame: int) -> np.ndarray:
    return np.asarray(Image.open(VOS / "hockey" / "Annotations" / f"{frame:05d}.png")) > 0


def truth_box(frame: int) -> tuple[float, float, float, float]:
    box = mask_box(truth_mask(frame))
    assert box is not None
    x0, y0, x1, y1 = box
    return x0 / W, y0 / H, x1 / W, y1 / H


def upload_hockey(client, pid: int) -> int:
    answer = client.post(
        f"{API}/projects/{pid}/media", files=[("files", ("hockey.zip", hockey_zip(), "application/zip"))],
        data={"fps": "24"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    mid = answer.json()[0]["id"]
    assert wait_media_ready(client, pid, mid)["num_frames"] == 75
    return int(mid)


def test_ava_export_reads_back_as_mmaction2_does_and_imports(client):
    pid = client.post(f"{API}/projects", json={"name": "hockey"}).json()["id"]
    mid = upload_hockey(client, pid)
    refused = client.get(f"{API}/projects/{pid}/export", params={"format": "ava"})
    assert refused.status_code == 422 and "needs an action vocabulary" in refused.json()["detail"]
    label_map(client, pid)
    label = client.post(f"{API}/projects/{pid}/labels", json={"name": "person"}).json()["id"]
    base = f"{API}/projects/{pid}/media/{mid}"
    keyframes = [k["frame_index"] for k in client.get(f"{base}/keyframes").json()["keyframes"]]
    assert keyframes == [0, 24, 48, 72]  # 75 frames at 24 fps, one a second

    player = client.post(f"{base}/objects", json={"label_id": label}).json()
    body = [{"object_id": player["id"], "frame_index": f, "rle": encode_rle(truth_mask(f))} for f in keyframes]
    assert client.put(f"{base}/annotations", json=body).status_code == 200
    other = client.post(f"{base}/objects", json={"label_id": label}).json()
    other_box = (600, 100, 700, 400)
    body = [{"object_id": other["id"], "frame_index": f, "rle": rle_of_box(other_box, H, W)} for f in (0, 24)]
    assert client.put(f"{base}/annotations", json=body).status_code == 200
    for obj, frame, actions in [
        (player["id"], 0, [STAND, CARRY]), (player["id"], 24, [STAND]), (player["id"], 48, [BEND, CARRY]),
        (other["id"], 0, [SIT]), (other["id"], 24, []), (player["id"], 72, []),
    ]:  # fmt: skip
        assert tick(client, pid, mid, obj, frame, actions).status_code == 200

    export = client.get(f"{API}/projects/{pid}/export", params={"format": "ava", "include_frames": True})
    assert export.status_code == 200, export.text
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    labelmap, class_ids = read_labelmap(archive.read("action_list.pbtxt").decode())
    assert (labelmap, class_ids) == read_labelmap(AVA_LABEL_MAP)
    excluded = archive.read("excluded_timestamps.csv").decode()
    assert excluded.splitlines() == ["hockey,3"]  # the keyframe where nobody does a listed action
    entries = load(archive.read("annotations.csv").decode(), excluded, num_classes=max(class_ids) + 1)
    assert sorted(entries) == ["hockey,0000", "hockey,0001", "hockey,0002"]

    def as_labels(entry, index):
        return sorted(np.nonzero(entry.labels[index])[0].tolist())

    first = entries["hockey,0000"]
    assert first.entity_ids.tolist() == [player["track_id"], other["track_id"]]
    assert first.boxes[0] == pytest.approx(truth_box(0), abs=6e-4)  # 3 decimals, as AVA writes them
    assert first.boxes[1] == pytest.approx((600 / W, 100 / H, 700 / W, 400 / H), abs=6e-4)
    assert (as_labels(first, 0), as_labels(first, 1)) == ([STAND, CARRY], [SIT])
    second = entries["hockey,0001"]  # the other person ticked nothing here: no row
    assert second.entity_ids.tolist() == [player["track_id"]] and as_labels(second, 0) == [STAND]
    assert second.boxes[0] == pytest.approx(truth_box(24), abs=6e-4)
    assert as_labels(entries["hockey,0002"], 0) == [BEND, CARRY]
    frame = archive.read("keyframes/hockey/1.jpg")
    assert frame == (VOS / "hockey" / "JPEGImages" / "00024.jpg").read_bytes()

    # Import into a fresh copy of the video: persons with their boxes, and their labels.
    copy = upload_hockey(client, pid)
    imported = client.post(
        f"{API}/projects/{pid}/media/{copy}/actions/import-ava",
        files={"file": ("hockey_ava.zip", export.content, "application/zip")},
    )
    assert imported.status_code == 201, imported.text
    assert imported.json() == {"persons": 2, "labels": 4, "masks": 4}
    objects = {o["id"]: o for o in client.get(f"{API}/projects/{pid}/media/{copy}/objects").json()}
    assert sorted(o["track_id"] for o in objects.values()) == [player["track_id"], other["track_id"]]
    labels = client.get(f"{API}/projects/{pid}/media/{copy}/action-labels").json()
    restored = sorted((objects[r["object_id"]]["track_id"], r["frame_index"], r["actions"]) for r in labels)
    t1, t2 = player["track_id"], other["track_id"]
    assert restored == sorted([(t1, 0, [STAND, CARRY]), (t1, 24, [STAND]), (t1, 48, [BEND, CARRY]), (t2, 0, [SIT])])
    masks = client.get(f"{API}/projects/{pid}/media/{copy}/annotations", params={"frame": 24}).json()
    (box,) = [m["bbox"] for m in masks if objects[m["object_id"]]["track_id"] == t1]
    x1, y1, x2, y2 = truth_box(24)
    assert box == pytest.approx([x1 * W, y1 * H, (x2 - x1) * W, (y2 - y1) * H], abs=1.0)

    wrong = client.post(
        f"{API}/projects/{pid}/media/{copy}/actions/import-ava",
        files={"file": ("a.csv", b"other_video,0,0.1,0.1,0.5,0.5,11,1\n")},
    )
    assert wrong.status_code == 422 and "no rows for video 'hockey' (it has: other_video)" in wrong.json()["detail"]
    late = client.post(
        f"{API}/projects/{pid}/media/{copy}/actions/import-ava",
        files={"file": ("a.csv", b"hockey,9,0.1,0.1,0.5,0.5,11,1\n")},
    )
    assert late.status_code == 422 and "Timestamp 9" in late.json()["detail"]
    clash = client.post(
        f"{API}/projects/{pid}/media/{copy}/actions/import-ava",
        files={"file": ("a.csv", b"hockey,0,0.1,0.1,0.5,0.5,11,7\nhockey,0,0.1,0.1,0.5,0.5,12,7\n")},
    )
    assert clash.status_code == 422 and "exclude each other" in clash.json()["detail"]
    assert len(client.get(f"{API}/projects/{pid}/media/{copy}/objects").json()) == 2  # nothing half-written
    # The registered format's importer (the generic import route) restores the persons, not labels
    generic = client.post(
        f"{API}/projects/{pid}/media/{copy}/import",
        params={"format": "ava", "replace": True},
        files={"file": ("hockey_ava.zip", export.content, "application/zip")},
    )
    assert generic.status_code == 201, generic.text
    assert {k: generic.json()[k] for k in ("objects_replaced", "objects_created", "masks")} == {
        "objects_replaced": 2, "objects_created": 2, "masks": 4,
    }  # fmt: skip
