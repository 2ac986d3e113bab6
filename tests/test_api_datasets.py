"""Export and import through the API, and the loop CVAT users need:
key frames from CVAT -> import -> track -> export back to CVAT with every frame filled in."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
from pycocotools.coco import COCO

from tests.conftest import synthetic_frame, synthetic_video, upload, wait_job, wait_media_ready
from video_seg_backend.formats import DatasetMedia, import_annotations

W, H, N = 160, 120, 12


def disc_polygon(i: int, r: float = 19.0) -> str:
    cx, cy = 30 + i * 6, H // 2
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    return ";".join(f"{cx + r * np.cos(a):.2f},{cy + r * np.sin(a):.2f}" for a in angles)


CVAT_KEYFRAMES = f"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><id>1</id><name>disc</name><size>{N}</size><mode>interpolation</mode>
    <labels><label><name>disc</name><color>#ff0000</color><type>any</type><attributes/></label></labels>
    <original_size><width>{W}</width><height>{H}</height></original_size></task></meta>
  <track id="0" label="disc" source="manual">
    <polygon frame="0" keyframe="1" outside="0" occluded="0" points="{disc_polygon(0)}" z_order="0"/>
    <polygon frame="1" keyframe="1" outside="1" occluded="0" points="{disc_polygon(0)}" z_order="0"/>
  </track>
</annotations>
"""


def make_video(client, tmp_path):
    pid = client.post("/api/v1/projects", json={"name": "loop", "media_type": "video"}).json()["id"]
    data = synthetic_video(tmp_path / "disc.mp4", frames=N).read_bytes()
    (media,) = upload(client, pid, ("disc.mp4", data, "video/mp4")).json()
    wait_media_ready(client, pid, media["id"])
    return pid, f"/api/v1/projects/{pid}/media/{media['id']}"


def clicked_and_tracked(client, tmp_path):
    """The disc video with one click on frame 0, tracked to the end."""
    pid, base = make_video(client, tmp_path)
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()
    obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()
    client.post(f"{base}/prompts", json={"object_id": obj["id"], "frame_index": 0, "x": 30, "y": 60})
    assert (
        wait_job(client, client.post(f"{base}/propagate", json={"start_frame": 0}).json()["id"])["status"]
        == "completed"
    )
    return pid, base


def truth(i: int) -> np.ndarray:
    frame = synthetic_frame(i, W, H)
    return (frame[..., 0] == 230) & (frame[..., 1] == 40)


def test_cvat_keyframes_import_track_export_back(client, tmp_path):
    pid, base = make_video(client, tmp_path)
    imported = client.post(
        f"{base}/import", params={"format": "cvat_video"}, files={"file": ("annotations.xml", CVAT_KEYFRAMES)}
    )
    assert imported.status_code == 201, imported.text
    summary = imported.json()
    assert (summary["labels_created"], summary["objects_created"], summary["key_frames"]) == (1, 1, 1)
    assert [lb["name"] for lb in client.get(f"/api/v1/projects/{pid}/labels").json()] == ["disc"]
    (obj,) = client.get(f"{base}/objects").json()
    assert obj["key_frames"] == [0]

    job = client.post(f"{base}/propagate", json={"start_frame": None}).json()
    assert wait_job(client, job["id"])["status"] == "completed"

    exported = client.get(f"/api/v1/projects/{pid}/export", params={"format": "cvat_video"})
    assert exported.status_code == 200 and exported.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(exported.content))
    xml = archive.read("annotations.xml")
    media = DatasetMedia(id=1, name="disc.mp4", kind="video", width=W, height=H, num_frames=N)
    back = import_annotations("cvat_video", xml, "annotations.xml", media, [])
    frames = sorted({m.frame_index for m in back.masks})
    assert frames == list(range(N)), "every frame of the video comes back filled in"
    from pycocotools import mask as mask_utils

    for m in back.masks:
        got = mask_utils.decode({"size": m.rle["size"], "counts": m.rle["counts"].encode()}).astype(bool)
        iou = (got & truth(m.frame_index)).sum() / (got | truth(m.frame_index)).sum()
        assert iou > 0.7, (m.frame_index, iou)


def test_coco_export_loads_in_pycocotools(client, tmp_path):
    pid, base = clicked_and_tracked(client, tmp_path)
    stored = {a["frame_index"]: a for a in client.get(f"{base}/annotations").json()}
    response = client.get(f"/api/v1/projects/{pid}/export", params={"format": "coco", "include_frames": True})
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = archive.namelist()
    json_name = next(n for n in names if n.endswith(".json"))
    path = tmp_path / "coco.json"
    path.write_bytes(archive.read(json_name))
    coco = COCO(str(path))
    assert len(coco.getImgIds()) == N and len(coco.getAnnIds()) == len(stored)
    for ann in coco.loadAnns(coco.getAnnIds()):
        image = coco.loadImgs(ann["image_id"])[0]
        assert any(n.endswith(image["file_name"]) for n in names)
        frame = int(image["file_name"].rsplit("/", 1)[-1].split(".")[0])
        assert ann["area"] == stored[frame]["area"]
        assert np.allclose(ann["bbox"], stored[frame]["bbox"])


def test_bad_imports_and_formats_are_refused(client, tmp_path):
    pid, base = make_video(client, tmp_path)
    images_xml = CVAT_KEYFRAMES.replace(
        "<track", "<image id='0' name='a.jpg' width='160' height='120'><box/></image><!--"
    ).replace("</track>", "-->")
    refused = client.post(f"{base}/import", params={"format": "cvat_video"}, files={"file": ("a.xml", images_xml)})
    assert refused.status_code == 422 and "CVAT for video 1.1" in refused.json()["detail"]
    coco = json.dumps({"images": [], "annotations": [], "categories": []})
    wrong = client.post(f"{base}/import", params={"format": "cvat_video"}, files={"file": ("a.json", coco)})
    assert wrong.status_code == 422 and "CVAT for video 1.1" in wrong.json()["detail"]
    broken = client.post(f"{base}/import", params={"format": "cvat_video"}, files={"file": ("a.xml", "<annotations")})
    assert broken.status_code == 422
    late = CVAT_KEYFRAMES.replace('frame="1"', 'frame="40"')
    outside = client.post(f"{base}/import", params={"format": "cvat_video"}, files={"file": ("a.xml", late)})
    assert outside.status_code == 422 and "40" in outside.json()["detail"]
    assert client.get(f"{base}/objects").json() == [] and client.get(f"{base}/annotations").json() == []
    unknown = client.get(f"/api/v1/projects/{pid}/export", params={"format": "voc"})
    assert unknown.status_code == 422 and "cvat_video" in unknown.json()["detail"]
    unknown = client.post(f"{base}/import", params={"format": "voc"}, files={"file": ("a.json", coco)})
    assert unknown.status_code == 422 and "'davis'" in unknown.json()["detail"], unknown.text
    # the OpenAPI document names the choices, so the studio's generated client knows them
    spec = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert set(spec["ExportFormat"]["enum"]) == {
        "ava",
        "coco",
        "ytvis",
        "davis",
        "cvat_video",
        "cvat_images",
        "coco_keypoints",
        "cvat_video_skeleton",
        "cvat_images_skeleton",
    }
    assert set(spec["ImportFormat"]["enum"]) == {
        "ava",
        "coco",
        "ytvis",
        "davis",
        "cvat_video",
        "cvat_images",
        "coco_keypoints",
        "cvat_video_skeleton",
        "cvat_images_skeleton",
    }


def test_davis_export_scores_one_against_itself_with_the_evaluation_script(client, tmp_path):
    """The DAVIS export is what scripts/video_evaluation.py reads: scored against itself, J = F = 1."""
    from tests.evaluation.test_eval_scripts import run_video_evaluation

    pid, base = clicked_and_tracked(client, tmp_path)
    exported = client.get(f"/api/v1/projects/{pid}/export", params={"format": "davis"})
    zipfile.ZipFile(io.BytesIO(exported.content)).extractall(tmp_path / "davis")
    annotations = tmp_path / "davis" / "Annotations"
    assert sorted(p.name for p in (annotations / "disc").iterdir()) == [f"{i:05d}.png" for i in range(N)]

    result = run_video_evaluation(tmp_path, "--gt", str(annotations), "--pred", str(annotations))
    assert result["overall"]["objects"] == 1
    assert result["overall"]["j_mean"] == result["overall"]["f_mean"] == 1.0


def test_importing_again_with_replace_swaps_the_objects_instead_of_adding_them(client, tmp_path):
    """Key frames fixed in CVAT and imported a second time: with replace (as CVAT's own upload
    does) the video holds the file's objects once, not twice; without it they are added."""
    pid, base = clicked_and_tracked(client, tmp_path)  # a person's object, tracked
    files = {"file": ("a.xml", CVAT_KEYFRAMES)}
    added = client.post(f"{base}/import", params={"format": "cvat_video"}, files=files)
    assert added.status_code == 201 and added.json()["objects_replaced"] == 0
    assert len(client.get(f"{base}/objects").json()) == 2

    moved = CVAT_KEYFRAMES.replace(disc_polygon(0), disc_polygon(2)).replace(' frame="0"', ' frame="2"')
    moved = moved.replace(' frame="1"', ' frame="3"')
    replaced = client.post(
        f"{base}/import", params={"format": "cvat_video", "replace": True}, files={"file": ("a.xml", moved)}
    )
    assert replaced.status_code == 201, replaced.text
    assert replaced.json()["objects_replaced"] == 2 and replaced.json()["objects_created"] == 1
    (obj,) = client.get(f"{base}/objects").json()
    masks = client.get(f"{base}/annotations").json()
    assert {a["object_id"] for a in masks} == {obj["id"]} and [a["frame_index"] for a in masks] == [2]
    assert client.get(f"{base}/prompts").json() == []  # the clicks went with their object
    assert masks[0]["source"] == "imported"

    # a file that is refused replaces nothing
    bad = client.post(
        f"{base}/import", params={"format": "cvat_video", "replace": True}, files={"file": ("a.xml", "<annotations")}
    )
    assert bad.status_code == 422 and [o["id"] for o in client.get(f"{base}/objects").json()] == [obj["id"]]
