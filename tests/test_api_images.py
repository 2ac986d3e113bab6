"""Images work like one-frame videos: click, mask, export COCO, import it elsewhere."""

from __future__ import annotations

import io
import json
import zipfile
from xml.etree import ElementTree

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

from tests.conftest import synthetic_frame, upload

W, H = 200, 150


def png(i: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(synthetic_frame(i, W, H)).save(buf, format="PNG")
    return buf.getvalue()


def truth(i: int) -> np.ndarray:
    frame = synthetic_frame(i, W, H)
    return (frame[..., 0] == 230) & (frame[..., 1] == 40)


def image_project(client, name: str) -> int:
    return client.post("/api/v1/projects", json={"name": name, "media_type": "image"}).json()["id"]


def test_images_click_export_and_import_back(client):
    pid = image_project(client, "shelf")
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc", "color": "#3366ff"}).json()
    media = upload(client, pid, ("a.png", png(0), "image/png"), ("b.png", png(5), "image/png")).json()
    assert [m["status"] for m in media] == ["ready", "ready"]
    for m, i in zip(media, (0, 5), strict=True):
        base = f"/api/v1/projects/{pid}/media/{m['id']}"
        obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()["id"]
        r = client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 0, "x": 30 + 6 * i, "y": H // 2})
        got = mask_utils.decode({"size": [H, W], "counts": r.json()["annotation"]["rle"]["counts"].encode()})
        assert (got.astype(bool) & truth(i)).sum() / (got.astype(bool) | truth(i)).sum() > 0.85
        # an image has one frame: no tracking, and frame 1 does not exist
        assert client.get(f"{base}/frames/1").status_code == 404
    listed = client.get(f"/api/v1/projects/{pid}/media").json()
    assert [m["annotated_frames"] for m in listed] == [1, 1]

    export = client.get(f"/api/v1/projects/{pid}/export", params={"format": "coco"})
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    coco_json = archive.read(next(n for n in archive.namelist() if n.endswith(".json")))

    other = image_project(client, "copy")
    (target,) = upload(client, other, ("a.png", png(0), "image/png")).json()
    base = f"/api/v1/projects/{other}/media/{target['id']}"
    imported = client.post(f"{base}/import", params={"format": "coco"}, files={"file": ("instances.json", coco_json)})
    assert imported.status_code == 201, imported.text
    assert imported.json()["objects_created"] == 1 and imported.json()["labels_created"] == 1
    original = client.get(f"/api/v1/projects/{pid}/media/{media[0]['id']}/annotations").json()[0]
    copied = client.get(f"{base}/annotations").json()[0]
    assert copied["rle"] == original["rle"] and copied["source"] == "imported"
    assert [lb["name"] for lb in client.get(f"/api/v1/projects/{other}/labels").json()] == ["disc"]


def test_images_export_as_cvat_for_images_and_import_back_by_name(client):
    pid = image_project(client, "cvat photos")
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"}).json()
    media = upload(client, pid, ("a.png", png(0), "image/png"), ("b.png", png(5), "image/png")).json()
    base = f"/api/v1/projects/{pid}/media/{media[1]['id']}"
    obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()["id"]
    client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 0, "x": 60, "y": H // 2})

    export = client.get(f"/api/v1/projects/{pid}/export", params={"format": "cvat_images", "include_frames": True})
    assert export.status_code == 200, export.text
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    assert sorted(archive.namelist()) == ["annotations.xml", "images/a.png", "images/b.png"]
    assert Image.open(io.BytesIO(archive.read("images/b.png"))).size == (W, H)

    # the whole export ZIP, uploaded onto b.png of another project, finds b's masks by name
    other = image_project(client, "cvat copy")
    (target,) = upload(client, other, ("b.png", png(5), "image/png")).json()
    into = f"/api/v1/projects/{other}/media/{target['id']}"
    files = {"file": ("photos.zip", export.content, "application/zip")}
    imported = client.post(f"{into}/import", params={"format": "cvat_images"}, files=files)
    assert imported.status_code == 201, imported.text
    assert imported.json()["objects_created"] == 1 and imported.json()["key_frames"] == 1
    original = client.get(f"{base}/annotations").json()[0]
    assert client.get(f"{into}/annotations").json()[0]["rle"] == original["rle"]
    # a COCO file offered as CVAT is refused with what was expected, and nothing is written
    coco = client.get(f"/api/v1/projects/{pid}/export", params={"format": "coco"}).content
    refused = client.post(f"{into}/import", params={"format": "cvat_images"}, files={"file": ("c.zip", coco)})
    assert refused.status_code == 422 and "Expected CVAT for images 1.1" in refused.json()["detail"]
    assert len(client.get(f"{into}/annotations").json()) == 1


def jpeg(i: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(synthetic_frame(i, W, H)).save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def test_exports_name_each_image_as_the_person_uploaded_it(client):
    """Training code finds the images by the names in the annotation file: a PNG stays .png, a
    .jpeg stays .jpeg, and with the images included the ZIP holds the uploaded bytes under that name."""
    pid = image_project(client, "names")
    uploads = {"tennis.png": png(0), "court.jpeg": jpeg(3)}
    upload(client, pid, *((name, data, "image/png") for name, data in uploads.items()))

    def export(fmt: str, **params: object) -> zipfile.ZipFile:
        r = client.get(f"/api/v1/projects/{pid}/export", params={"format": fmt, **params})
        assert r.status_code == 200, r.text
        return zipfile.ZipFile(io.BytesIO(r.content))

    coco = export("coco", include_frames=True)
    names = [image["file_name"] for image in json.loads(coco.read("annotations/instances_default.json"))["images"]]
    assert sorted(names) == ["court.jpeg", "tennis.png"]
    for name in names:
        (path,) = [n for n in coco.namelist() if n.endswith("/" + name)]
        assert coco.read(path) == uploads[name]

    cvat = export("cvat_images", include_frames=True)
    tree = ElementTree.fromstring(cvat.read("annotations.xml"))
    assert sorted(image.get("name") for image in tree.iter("image")) == ["court.jpeg", "tennis.png"]
    assert {n: cvat.read(f"images/{n}") for n in ("court.jpeg", "tennis.png")} == uploads
