"""Exports can name the annotator: COCO ``attributes.annotator`` and a CVAT ``annotator``
attribute, only when asked; the files still load in pycocotools and import back into the studio."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
from pycocotools.coco import COCO

from tests.teams.conftest import API, Team
from tests.teams.test_review_flow import rle_of, setup_item


def export(team: Team, pid: int, fmt: str, **params: object) -> zipfile.ZipFile:
    answer = team.client.get(f"{API}/projects/{pid}/export", params={"format": fmt, **params}, headers=team.admin)
    assert answer.status_code == 200, answer.text
    return zipfile.ZipFile(io.BytesIO(answer.content))


def test_exports_name_who_made_each_object_when_asked(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "cell"}, headers=team.admin).json()
    item = f"{API}/projects/{pid}/media/{mid}"
    for name, box in (("ann", (10, 40)), ("bob", (60, 90))):
        user_id, headers = team.add_user(name, "annotator")
        team.add_member(pid, user_id)
        obj = c.post(f"{item}/objects", json={"label_id": label["id"]}, headers=headers).json()
        mask = np.zeros((120, 160), bool)
        mask[box[0] : box[1], box[0] : box[1]] = True
        masks = [{"object_id": obj["id"], "frame_index": 1, "rle": rle_of(mask)}]
        assert c.put(f"{item}/annotations", json=masks, headers=headers).status_code == 200

    archive = export(team, pid, "coco", include_annotator=True)
    path = tmp_path / "instances.json"
    path.write_bytes(archive.read(next(n for n in archive.namelist() if n.endswith(".json"))))
    coco = COCO(str(path))
    # The mask at the top left is ann's, the other bob's.
    by_place = sorted(coco.loadAnns(coco.getAnnIds()), key=lambda a: a["bbox"][0])
    assert [(a["bbox"], a["attributes"]["annotator"]) for a in by_place] == [
        ([10, 10, 30, 30], "ann"),
        ([60, 60, 30, 30], "bob"),
    ]
    # Without the option nothing changes: no attributes at all.
    plain = export(team, pid, "coco")
    annotations = json.loads(plain.read(next(n for n in plain.namelist() if n.endswith(".json"))))["annotations"]
    assert len(annotations) == 2 and all("attributes" not in a for a in annotations)

    xml = export(team, pid, "cvat_video", include_annotator=True)
    name = next(n for n in xml.namelist() if n.endswith(".xml"))
    root = ElementTree.fromstring(xml.read(name))
    declared = root.findall("./meta/task/labels/label/attributes/attribute/name")
    assert [d.text for d in declared] == ["annotator"]
    said = {m.findtext("attribute[@name='annotator']") for m in root.iter("mask") if m.get("outside") == "0"}
    assert said == {"ann", "bob"}
    images = export(team, pid, "cvat_images", include_annotator=True)
    shapes = ElementTree.fromstring(images.read(next(n for n in images.namelist() if n.endswith(".xml")))).iter("mask")
    assert sorted(m.findtext("attribute[@name='annotator']") or "" for m in shapes) == ["ann", "bob"]
    # The studio's own importer still reads the file: two objects back on the item.
    answer = c.post(
        f"{item}/import",
        params={"format": "cvat_video", "replace": True},
        files={"file": ("annotations.xml", xml.read(name))},
        headers=team.admin,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["objects_created"] == 2
