"""COCO keypoints through the real server: a person with 17 points on a few frames exported, loaded by
pycocotools and scored against itself at OKS 1.0, imported back, and a file with other names refused."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from tests.keypoints.conftest import API, Video, make_video
from video_seg_backend.storage.masks import encode_rle


def person_structure(client: TestClient) -> dict:
    return next(t for t in client.get(f"{API}/label-templates").json() if t["key"] == "coco-person")["structure"]


def seventeen(frame: int) -> list[dict]:
    """17 points spread over the frame, the ankles occluded and the left ear not labelled."""
    points = [{"x": 20 + 7 * i + frame, "y": 30 + (i % 5) * 12, "visibility": 2} for i in range(17)]
    points[15]["visibility"] = points[16]["visibility"] = 1
    points[3] = {"x": 0, "y": 0, "visibility": 0}
    return points


def person_with_points(client: TestClient, video: Video) -> tuple[int, int]:
    lid = video.label("person", person_structure(client))
    oid = video.obj(lid)
    mask = np.zeros((120, 160), bool)
    mask[20:100, 15:150] = True
    client.put(f"{video.base}/annotations", json=[{"object_id": oid, "frame_index": 0, "rle": encode_rle(mask)}])
    for f in (0, 4, 8):
        assert client.put(f"{video.base}/objects/{oid}/keypoints/{f}", json={"points": seventeen(f)}).status_code == 200
    return lid, oid


def export(client: TestClient, pid: int) -> bytes:
    r = client.get(f"{API}/projects/{pid}/export", params={"format": "coco_keypoints"})
    assert r.status_code == 200, r.text
    return r.content


def test_pycocotools_reads_the_export_and_scores_it_against_itself_at_oks_1(
    client: TestClient, video: Video, tmp_path: Path
) -> None:
    _, oid = person_with_points(client, video)
    with zipfile.ZipFile(io.BytesIO(export(client, video.pid))) as archive:
        content = json.loads(archive.read("annotations/person_keypoints_default.json"))
    path = tmp_path / "kp.json"
    path.write_text(json.dumps(content))
    gt = COCO(str(path))
    (category,) = gt.loadCats(gt.getCatIds())
    assert category["keypoints"][0] == "nose" and len(category["skeleton"]) == 19 and [16, 14] in category["skeleton"]
    anns = gt.loadAnns(gt.getAnnIds())
    assert len(anns) == 3 and all(a["num_keypoints"] == 16 for a in anns)
    first = next(a for a in anns if gt.imgs[a["image_id"]]["frame_index"] == 0)
    assert first["attributes"]["track_id"] == 1 and first["area"] == 80 * 135  # the mask's, where there is one
    assert first["keypoints"][9:12] == [0, 0, 0] and first["keypoints"][45:48] == [125, 30, 1]
    dt = gt.loadRes([{**a, "score": 1.0} for a in anns])
    evaluation = COCOeval(gt, dt, iouType="keypoints")
    evaluation.params.iouThrs = np.array([1.0])  # OKS 1.0: every point exactly where it was
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert evaluation.stats[0] == 1.0
    # and the measure can fail: a point moved by 3 px is no longer a match at OKS 1.0
    moved = [{**a, "score": 1.0} for a in anns]
    moved[0] = {**moved[0], "keypoints": [v + 3 if i % 3 == 0 else v for i, v in enumerate(moved[0]["keypoints"])]}
    evaluation = COCOeval(gt, gt.loadRes(moved), iouType="keypoints")
    evaluation.params.iouThrs = np.array([1.0])
    evaluation.evaluate()
    evaluation.accumulate()
    evaluation.summarize()
    assert evaluation.stats[0] < 1.0


def test_the_export_imports_back_into_another_video_with_the_same_points(
    client: TestClient, video: Video, tmp_path: Path
) -> None:
    _, oid = person_with_points(client, video)
    data = export(client, video.pid)
    (tmp_path / "second").mkdir()
    other = make_video(client, tmp_path / "second")
    url = f"{other.base}/import"
    r = client.post(url, params={"format": "coco_keypoints"}, files={"file": ("kp.zip", data, "application/zip")})
    assert r.status_code == 201, r.text
    assert r.json()["keypoint_frames"] == 3 and r.json()["labels_created"] == 1
    (obj,) = client.get(f"{other.base}/objects").json()
    label = next(lb for lb in client.get(f"{API}/projects/{other.pid}/labels").json() if lb["name"] == "person")
    assert label["structure"] == person_structure(client)  # the new label took the file's points and skeleton
    got = client.get(f"{other.base}/objects/{obj['id']}/keypoints").json()["frames"]
    want = client.get(f"{video.base}/objects/{oid}/keypoints").json()["frames"]
    assert got == want


def test_a_file_whose_names_differ_from_the_labels_is_refused_naming_the_difference(
    client: TestClient, video: Video
) -> None:
    person_with_points(client, video)
    with zipfile.ZipFile(io.BytesIO(export(client, video.pid))) as archive:
        content = json.loads(archive.read("annotations/person_keypoints_default.json"))
    content["categories"][0]["keypoints"][0] = "head"
    url = f"{video.base}/import"
    r = client.post(
        url, params={"format": "coco_keypoints"}, files={"file": ("kp.json", json.dumps(content), "application/json")}
    )
    assert r.status_code == 422
    assert r.json()["detail"].startswith("Keypoints of 'person' do not match the label's (nose, left_eye")
    assert "the file lacks nose; the file adds head" in r.json()["detail"]
    assert len(client.get(f"{video.base}/objects").json()) == 1  # nothing was written
