"""Malformed, hostile and out-of-range annotation files: each is a 422 that says what is wrong, and
nothing is written (no label, object or mask)."""

from __future__ import annotations

import json
import math

import pytest
from pycocotools import mask as mask_utils

from tests.conftest import png_bytes, upload

W, H = 64, 48


@pytest.fixture
def image(client):
    """An image project with one 64x48 image and a label 'disc'."""
    pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "image"}).json()["id"]
    client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc"})
    (media,) = upload(client, pid, ("00000.png", png_bytes(W, H), "image/png")).json()
    return pid, f"/api/v1/projects/{pid}/media/{media['id']}"


@pytest.fixture
def guarded_polygons(monkeypatch):
    """pycocotools rasterises polygons in C without any check: a NaN or far-away vertex makes it
    allocate until the process is killed. Fail loudly instead if such a polygon ever reaches it."""
    real = mask_utils.frPyObjects

    def guarded(objs, h, w):  # type: ignore[no-untyped-def]
        if isinstance(objs, list) and objs and isinstance(objs[0], list):
            for poly in objs:
                for v in poly:
                    assert isinstance(v, (int, float)) and math.isfinite(v) and abs(v) <= 4 * max(h, w), poly
        return real(objs, h, w)

    monkeypatch.setattr(mask_utils, "frPyObjects", guarded)


def nothing_written(client, pid: int, base: str) -> None:
    assert [lb["name"] for lb in client.get(f"/api/v1/projects/{pid}/labels").json()] == ["disc"]
    assert client.get(f"{base}/objects").json() == []
    assert client.get(f"{base}/annotations").json() == []


def post_import(client, base: str, fmt: str, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post(f"{base}/import", params={"format": fmt}, files={"file": (name, data)})


def coco(annotations: list, categories: list | None = None, images: list | None = None) -> bytes:
    return json.dumps(
        {
            "images": images if images is not None else [{"id": 1, "file_name": "00000.png", "width": W, "height": H}],
            "annotations": annotations,
            "categories": categories if categories is not None else [{"id": 1, "name": "disc"}],
        }
    ).encode()


def cvat_images(shape: str, label_meta: str = "") -> bytes:
    return (
        f'<annotations><version>1.1</version>{label_meta}<image id="0" name="00000.png" width="{W}" height="{H}">'
        f"{shape}</image></annotations>"
    ).encode()


POLYGON_CASES = {
    "nan vertex": [[float("nan"), 1, 20, 1, 20, 20]],
    "far vertex": [[0, 0, 1e9, 0, 0, 1e9]],
    "two points": [[1, 1, 20, 20]],
    "odd count": [[1, 1, 20, 1, 20]],
    "strings": [["a", "b", "c", "d", "e", "f"]],
    "flat list": [1, 1, 20, 1, 20, 20],
}


@pytest.mark.parametrize("case", POLYGON_CASES)
def test_coco_bad_polygons_are_refused(client, image, guarded_polygons, case):
    pid, base = image
    body = coco([{"id": 1, "image_id": 1, "category_id": 1, "segmentation": POLYGON_CASES[case]}])
    # NaN is not JSON; Python writes it as NaN, which json.loads (and other COCO readers) accept
    response = post_import(client, base, "coco", "a.json", body)
    assert response.status_code == 422, response.text
    assert "polygon" in response.json()["detail"]
    nothing_written(client, pid, base)


@pytest.mark.parametrize(
    "shape",
    [
        '<polygon label="disc" points="nan,1;20,1;20,20" z_order="0"/>',
        '<polygon label="disc" points="0,0;1e9,0;0,1e9" z_order="0"/>',
        '<polygon label="disc" points="1,1" z_order="0"/>',
        '<polygon label="disc" points="1,1;2" z_order="0"/>',
        '<box label="disc" xtl="-inf" ytl="0" xbr="inf" ybr="nan" z_order="0"/>',
        '<box label="disc" xtl="1" ytl="1" xbr="20" ybr="20" rotation="nan" z_order="0"/>',
        '<mask label="disc" rle="0, 99999999999999" left="0" top="0" width="2" height="2" z_order="0"/>',
        '<mask label="disc" rle="inf, 4" left="0" top="0" width="2" height="2" z_order="0"/>',
        '<box label="disc" group_id="x" xtl="1" ytl="1" xbr="20" ybr="20" z_order="0"/>',
    ],
)
def test_cvat_bad_shapes_are_refused(client, image, guarded_polygons, shape):
    pid, base = image
    response = post_import(client, base, "cvat_images", "a.xml", cvat_images(shape))
    assert response.status_code == 422, response.text
    assert response.json()["detail"]
    nothing_written(client, pid, base)


@pytest.mark.parametrize(
    "content",
    [
        {"images": 5, "annotations": []},
        {"images": [5], "annotations": []},
        {"images": [{"file_name": "00000.png"}], "annotations": []},
        {"images": [{"id": 1, "file_name": "00000.png"}], "annotations": [5], "categories": []},
        {"images": [{"id": 1, "file_name": "00000.png"}], "annotations": [], "categories": [5]},
        {"images": [{"id": 1, "file_name": "00000.png"}], "annotations": [{"image_id": 1, "segmentation": {}}]},
        {
            "images": [{"id": 1, "file_name": "00000.png"}],
            "annotations": [{"image_id": 1, "segmentation": {"size": "x", "counts": "0"}}],
        },
        {
            "images": [{"id": 1, "file_name": "00000.png"}],
            "annotations": [{"image_id": 1, "segmentation": {"size": [H, W], "counts": [-1, 2, 3]}}],
        },
        {
            "images": [{"id": 1, "file_name": "00000.png"}],
            "annotations": [{"image_id": 1, "score": "high", "segmentation": [[1, 1, 20, 1, 20, 20]]}],
        },
    ],
)
def test_coco_malformed_structure_is_refused(client, image, content):
    pid, base = image
    response = post_import(client, base, "coco", "a.json", json.dumps(content).encode())
    assert response.status_code == 422, response.text
    assert any(word in response.json()["detail"] for word in ("COCO", "RLE", "score"))
    nothing_written(client, pid, base)


def test_deeply_nested_json_is_refused(client, image):
    pid, base = image
    response = post_import(client, base, "coco", "a.json", b"[" * 100_000 + b"]" * 100_000)
    assert response.status_code == 422, response.text
    nothing_written(client, pid, base)


@pytest.mark.parametrize(
    "counts",
    [
        "0",  # covers no pixel: pycocotools would decode it into uninitialised memory
        "",
        [1, 2, 3],  # uncompressed, covering 6 of 3072 pixels
        "\u0000",  # not an RLE character at all
    ],
)
def test_coco_rle_that_does_not_cover_the_frame_is_refused(client, image, counts):
    pid, base = image
    body = coco([{"id": 1, "image_id": 1, "category_id": 1, "segmentation": {"size": [H, W], "counts": counts}}])
    response = post_import(client, base, "coco", "a.json", body)
    assert response.status_code == 422, response.text
    assert "RLE" in response.json()["detail"]
    nothing_written(client, pid, base)


@pytest.mark.parametrize(
    ("meta", "label", "why"),
    [
        ("", "", "name"),
        ("", "x" * 101, "100"),
        ("", "   ", "name"),
    ],
)
def test_cvat_label_names_are_checked_like_the_api(client, image, meta, label, why):
    pid, base = image
    shape = f'<box label="{label}" xtl="1" ytl="1" xbr="20" ybr="20" z_order="0"/>'
    response = post_import(client, base, "cvat_images", "a.xml", cvat_images(shape, meta))
    assert response.status_code == 422, response.text
    assert why in response.json()["detail"]
    nothing_written(client, pid, base)


def test_imported_labels_get_valid_colours_and_trimmed_names(client, image):
    """A label colour that is not #rrggbb becomes a generated one (with a warning) instead of a label
    row that breaks every later label listing; a padded name matches the existing label."""
    pid, base = image
    meta = "<meta><task><labels><label><name>zz</name><color>red</color></label></labels></task></meta>"
    shapes = (
        '<box label="zz" xtl="1" ytl="1" xbr="20" ybr="20" z_order="0"/>'
        '<box label=" disc " xtl="30" ytl="10" xbr="50" ybr="30" z_order="0"/>'
    )
    response = post_import(client, base, "cvat_images", "a.xml", cvat_images(shapes, meta))
    assert response.status_code == 201, response.text
    assert response.json()["labels_created"] == 1
    assert any("colour" in w for w in response.json()["warnings"])
    labels = client.get(f"/api/v1/projects/{pid}/labels")
    assert labels.status_code == 200, labels.text
    assert sorted(lb["name"] for lb in labels.json()) == ["disc", "zz"]
    assert all(lb["color"].startswith("#") and len(lb["color"]) == 7 for lb in labels.json())


@pytest.mark.parametrize("frame", ["1.5", "abc", ""])
def test_cvat_video_bad_frame_numbers_are_refused(client, image, frame):
    pid, base = image
    xml = (
        '<annotations><version>1.1</version><track id="0" label="disc">'
        f'<box frame="{frame}" keyframe="1" outside="0" occluded="0" xtl="1" ytl="1" xbr="20" ybr="20"/>'
        "</track></annotations>"
    ).encode()
    response = post_import(client, base, "cvat_video", "a.xml", xml)
    assert response.status_code == 422, response.text
    nothing_written(client, pid, base)
