"""Parts in the exports, through the real server: own COCO / YouTube-VIS categories ("tool/shaft")
with the parent's track id and the part name in the annotation's attributes (read back with
pycocotools), own DAVIS object ids with (parent, part) in the sequence's JSON, and CVAT shapes with
``part`` and ``parent`` (the parent's group) attributes (read back with datumaro)."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image
from pycocotools.coco import COCO

from tests.parts.conftest import API, PARTS, Tool, disc, encode


def three_parts(tool: Tool) -> dict[str, int]:
    """The disc as the parent on frames 0 and 1, its thirds from left to right as the three parts."""
    parts = {name: tool.part(name) for name in PARTS}
    body = []
    for i in (0, 1):
        body.append({"object_id": tool.parent, "frame_index": i, "rle": encode(disc(i))})
        for k, name in enumerate(PARTS):
            third = disc(i).copy()
            x0 = 10 + 6 * i + 14 * k
            third[:, :x0] = False
            third[:, x0 + 14 :] = False
            body.append({"object_id": parts[name], "frame_index": i, "rle": encode(third)})
    r = tool.client.put(f"{tool.base}/annotations", json=body)
    assert r.status_code == 200, r.text
    return parts


def export(tool: Tool, fmt: str) -> zipfile.ZipFile:
    r = tool.client.get(f"{API}/projects/{tool.pid}/export", params={"format": fmt})
    assert r.status_code == 200, r.text
    return zipfile.ZipFile(io.BytesIO(r.content))


def tracks(tool: Tool) -> dict[int, int]:
    return {o["id"]: o["track_id"] for o in tool.client.get(f"{tool.base}/objects").json()}


def test_coco_has_a_category_per_part_and_the_parent_in_attributes(tool: Tool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    parts = three_parts(tool)
    track = tracks(tool)
    path = tmp_path / "instances.json"
    path.write_bytes(export(tool, "coco").read("annotations/instances_default.json"))
    coco = COCO(str(path))
    names = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    assert sorted(names.values()) == ["tool", "tool/gripper", "tool/shaft", "tool/wrist"]
    by_name = {name: cid for cid, name in names.items()}
    for name, object_id in parts.items():
        anns = coco.loadAnns(coco.getAnnIds(catIds=[by_name[f"tool/{name}"]]))
        assert len(anns) == 2  # frames 0 and 1
        for ann in anns:
            assert ann["track_id"] == track[object_id]
            assert ann["attributes"] == {"parent_id": track[tool.parent], "part": name}
            mask = coco.annToMask(ann).astype(bool)
            frame = coco.loadImgs(ann["image_id"])[0]["frame_index"]
            assert mask.sum() > 0 and not (mask & ~disc(frame)).any()
    (whole,) = coco.loadAnns(coco.getAnnIds(catIds=[by_name["tool"]], imgIds=[coco.getImgIds()[0]]))
    assert "attributes" not in whole and whole["track_id"] == track[tool.parent]


def test_ytvis_has_the_part_categories_and_attributes(tool: Tool) -> None:
    parts = three_parts(tool)
    track = tracks(tool)
    content = json.loads(export(tool, "ytvis").read("annotations/instances.json"))
    names = {c["id"]: c["name"] for c in content["categories"]}
    by_track = {a["track_id"]: a for a in content["annotations"]}
    for name, object_id in parts.items():
        ann = by_track[track[object_id]]
        assert names[ann["category_id"]] == f"tool/{name}"
        assert ann["attributes"] == {"parent_id": track[tool.parent], "part": name}
    assert names[by_track[track[tool.parent]]["category_id"]] == "tool"


def test_davis_gives_each_part_its_own_id_and_maps_it_to_its_parent(tool: Tool) -> None:
    parts = three_parts(tool)
    track = tracks(tool)
    archive = export(tool, "davis")
    (json_name,) = [n for n in archive.namelist() if n.endswith(".json")]
    mapping = json.loads(archive.read(json_name))["objects"]
    by_track = {info["track_id"]: int(index) for index, info in mapping.items()}
    parent_index = by_track[track[tool.parent]]
    assert "parent" not in mapping[str(parent_index)]
    png = next(n for n in archive.namelist() if n.endswith("00000.png"))
    indices = np.array(Image.open(io.BytesIO(archive.read(png))))
    union = np.zeros_like(indices, dtype=bool)
    for name, object_id in parts.items():
        index = by_track[track[object_id]]
        assert mapping[str(index)]["parent"] == parent_index and mapping[str(index)]["part"] == name
        assert (indices == index).sum() > 0  # drawn over the parent: each part keeps its own pixels
        union |= indices == index
    # The parent is its own id and its parts' ids together: the whole disc.
    assert np.array_equal(union | (indices == parent_index), disc(0))


def test_cvat_shapes_name_their_part_and_parent_group_and_datumaro_reads_them(tool: Tool, tmp_path) -> None:  # type: ignore[no-untyped-def]
    datumaro = pytest.importorskip("datumaro")
    three_parts(tool)
    r = tool.client.get(f"{API}/projects/{tool.pid}/export", params={"format": "cvat_images", "include_frames": "true"})
    assert r.status_code == 200, r.text
    zipfile.ZipFile(io.BytesIO(r.content)).extractall(tmp_path)
    dataset = datumaro.Dataset.import_from(str(tmp_path), "cvat")
    names = dataset.categories()[datumaro.AnnotationType.label]
    frame0 = next(item for item in dataset if item.attributes["frame"] == 0)
    whole = [a for a in frame0.annotations if "part" not in a.attributes]
    parts = sorted((a.attributes["part"], a.attributes["parent"]) for a in frame0.annotations if "part" in a.attributes)
    assert [names[a.label].name for a in whole] == ["tool"]
    # Each part names its parent by the parent's group: the object CVAT groups as one.
    assert parts == sorted((name, str(whole[0].group)) for name in PARTS)
    assert {names[a.label].name for a in frame0.annotations} == {"tool"}


def test_each_export_imports_back_with_the_parts_under_their_parent_and_the_same_masks(tool: Tool) -> None:
    three_parts(tool)
    before = {(o["part"], o["parent_id"] is None) for o in tool.client.get(f"{tool.base}/objects").json()}
    masks_before = {
        (next(o["part"] for o in tool.client.get(f"{tool.base}/objects").json() if o["id"] == oid), frame): mask
        for oid in (o["id"] for o in tool.client.get(f"{tool.base}/objects").json())
        for frame, mask in tool.masks(oid).items()
    }
    for fmt, member in (
        ("coco", "annotations/instances_default.json"),
        ("ytvis", "annotations/instances.json"),
        ("davis", None),
        ("cvat_video", None),
        ("cvat_images", None),
    ):
        r = tool.client.get(f"{API}/projects/{tool.pid}/export", params={"format": fmt})
        data, name = (zipfile.ZipFile(io.BytesIO(r.content)).read(member), "a.json") if member else (r.content, "a.zip")
        r = tool.client.post(
            f"{tool.base}/import", params={"format": fmt, "replace": "true"}, files={"file": (name, data)}
        )
        assert r.status_code == 201, (fmt, r.text)
        listed = tool.client.get(f"{tool.base}/objects").json()
        assert {(o["part"], o["parent_id"] is None) for o in listed} == before, fmt
        (parent,) = [o for o in listed if o["parent_id"] is None]
        assert all(o["parent_id"] == parent["id"] and o["label_id"] == parent["label_id"] for o in listed if o["part"])
        labels = {lb["name"] for lb in tool.client.get(f"{API}/projects/{tool.pid}/labels").json()}
        assert labels == {"tool"}, (fmt, labels)  # no "tool/shaft" label made
        for o in listed:
            for frame, mask in tool.masks(o["id"]).items():
                assert np.array_equal(mask, masks_before[(o["part"], frame)]), (fmt, o["part"], frame)
        tool.parent = parent["id"]
