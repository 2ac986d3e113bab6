"""A label's keypoints, skeleton and parts: written, read back, checked, and kept once used."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient

from tests.keypoints.conftest import API, Video


def test_templates_offer_coco_person_and_a_tool(client: TestClient) -> None:
    templates = {t["key"]: t for t in client.get(f"{API}/label-templates").json()}
    person = templates["coco-person"]["structure"]
    assert len(person["keypoints"]) == 17 and person["keypoints"][0] == "nose"
    assert ["left_shoulder", "right_shoulder"] in person["edges"] and len(person["edges"]) == 19
    assert templates["tool"]["structure"]["parts"] == ["shaft", "wrist", "gripper"]


def test_a_template_becomes_a_labels_structure_and_the_label_list_shows_it(client: TestClient, video: Video) -> None:
    person = next(t for t in client.get(f"{API}/label-templates").json() if t["key"] == "coco-person")
    lid = video.label("person", person["structure"])
    got = client.get(f"{API}/projects/{video.pid}/labels/{lid}/structure").json()
    assert got == person["structure"]
    (listed,) = client.get(f"{API}/projects/{video.pid}/labels").json()
    assert listed["structure"]["keypoints"][-1] == "right_ankle"
    plain = video.label("car")
    assert client.get(f"{API}/projects/{video.pid}/labels/{plain}/structure").json() == {
        "keypoints": [], "edges": [], "parts": []
    }  # fmt: skip


def test_bad_structures_are_refused_naming_the_problem(client: TestClient, video: Video) -> None:
    lid = video.label("tool")
    url = f"{API}/projects/{video.pid}/labels/{lid}/structure"
    cases = [
        ({"keypoints": ["tip", "joint", "tip"]}, "keypoint names must be unique: tip repeated"),
        (
            {"keypoints": ["tip", "joint"], "edges": [["tip", "elbow"]]},
            "edge tip-elbow refers to 'elbow', not a keypoint",
        ),
        ({"keypoints": ["tip"], "edges": [["tip", "tip"]]}, "joins a point to itself"),
        ({"keypoints": ["a", "b"], "edges": [["a", "b"], ["b", "a"]]}, "edge b-a is listed twice"),
        ({"parts": ["shaft", "shaft"]}, "part names must be unique: shaft repeated"),
        ({"keypoints": ["a"], "edges": [["a"]]}, "edges.0"),
        ({"keypoints": [" "]}, "must not be blank"),
        ({"points": ["a"]}, "not a field"),
    ]
    for body, message in cases:
        r = client.put(url, json=body)
        assert r.status_code == 422, body
        assert message in r.json()["detail"], (body, r.json()["detail"])
    assert client.get(url).json()["keypoints"] == []  # nothing half-written
    assert client.put(f"{API}/projects/{video.pid}/labels/999/structure", json={}).status_code == 404


def test_points_in_use_keep_their_names_and_order_new_ones_go_at_the_end(client: TestClient, video: Video) -> None:
    lid = video.label("tool", {"keypoints": ["tip", "joint"], "edges": [["tip", "joint"]]})
    url = f"{API}/projects/{video.pid}/labels/{lid}/structure"
    oid = video.obj(lid)
    points = [{"x": 10, "y": 10, "visibility": 2}, {"x": 20, "y": 30, "visibility": 1}]
    assert client.put(f"{video.base}/objects/{oid}/keypoints/0", json={"points": points}).status_code == 200
    r = client.put(url, json={"keypoints": ["joint", "tip"]})
    assert r.status_code == 409 and "keypoints on 1 object frame(s)" in r.json()["detail"]
    grown = {"keypoints": ["tip", "joint", "end"], "edges": [["tip", "joint"], ["joint", "end"]], "parts": ["shaft"]}
    assert client.put(url, json=grown).status_code == 200
    assert client.get(url).json() == grown
    # The frame written before "end" existed exports with "end" not labelled.
    r = client.get(f"{API}/projects/{video.pid}/export", params={"format": "coco_keypoints"})
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        (ann,) = json.loads(archive.read("annotations/person_keypoints_default.json"))["annotations"]
    assert ann["keypoints"] == [10, 10, 2, 20, 30, 1, 0, 0, 0] and ann["num_keypoints"] == 2
