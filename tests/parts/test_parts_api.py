"""Part objects through the HTTP API: made from a parent and a part name of its label, refused
with a 422 that names the rule, listed with parent_id/part, relabelled and deleted with the parent."""

from __future__ import annotations

from tests.conftest import synthetic_video, upload, wait_media_ready
from tests.parts.conftest import API, PARTS, Tool, disc, encode


def test_a_part_takes_its_parents_label_and_is_listed_with_parent_and_name(tool: Tool) -> None:
    r = tool.client.post(f"{tool.base}/objects", json={"parent_id": tool.parent, "part": "shaft"})
    assert r.status_code == 201, r.text
    part = r.json()
    assert part["label_id"] == tool.label and part["parent_id"] == tool.parent and part["part"] == "shaft"
    tool.part("wrist")
    listed = tool.client.get(f"{tool.base}/objects").json()
    assert [(o["parent_id"], o["part"]) for o in listed] == [
        (None, None),
        (tool.parent, "shaft"),
        (tool.parent, "wrist"),
    ]
    # Each part is an object with its own track id (its own DAVIS id, its own CVAT track).
    assert len({o["track_id"] for o in listed}) == 3
    # Its label given explicitly, the parent's, is accepted too.
    same = tool.client.post(
        f"{tool.base}/objects", json={"parent_id": tool.parent, "part": "gripper", "label_id": tool.label}
    )
    assert same.status_code == 201, same.text


def test_refusals_name_the_rule(tool: Tool, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def refused(body: dict, base: str = tool.base) -> str:
        r = client.post(f"{base}/objects", json=body)
        assert r.status_code == 422, r.text
        return str(r.json()["detail"])

    assert "no part 'blade'" in refused({"parent_id": tool.parent, "part": "blade"})
    assert "shaft, wrist, gripper" in refused({"parent_id": tool.parent, "part": "blade"})
    assert "needs a name" in refused({"parent_id": tool.parent})
    shaft = tool.part("shaft")
    assert "itself a part" in refused({"parent_id": shaft, "part": "wrist"})
    other_label = client.post(f"{API}/projects/{tool.pid}/labels", json={"name": "hand"}).json()["id"]
    assert "parent's label" in refused({"parent_id": tool.parent, "part": "wrist", "label_id": other_label})
    assert "give its parent_id" in refused({"label_id": tool.label, "part": "wrist"})
    assert "label_id is required" in refused({})
    # A parent in another media item of the same project.
    (second,) = upload(
        client, tool.pid, ("w.mp4", synthetic_video(tmp_path / "w.mp4", frames=3).read_bytes(), "video/mp4")
    ).json()
    wait_media_ready(client, tool.pid, second["id"])
    other_base = f"{API}/projects/{tool.pid}/media/{second['id']}"
    assert "not an object of this media item" in refused({"parent_id": tool.parent, "part": "shaft"}, other_base)
    # A label without parts says so.
    plain = client.post(f"{other_base}/objects", json={"label_id": other_label}).json()["id"]
    assert "its parts: none" in refused({"parent_id": plain, "part": "shaft"}, other_base)
    # Nothing half-made: only the parent and the one part exist.
    assert len(client.get(f"{tool.base}/objects").json()) == 2


def test_deleting_the_parent_deletes_its_parts_with_their_masks(tool: Tool) -> None:
    parts = [tool.part(name) for name in PARTS]
    put = tool.client.put(f"{tool.base}/annotations", json=[
        {"object_id": tool.parent, "frame_index": 0, "rle": encode(disc(0))},
        *({"object_id": p, "frame_index": 0, "rle": encode(disc(0))} for p in parts),
    ])  # fmt: skip
    assert put.status_code == 200, put.text
    other = tool.client.post(f"{tool.base}/objects", json={"label_id": tool.label}).json()["id"]
    assert tool.client.delete(f"{tool.base}/objects/{tool.parent}").status_code == 204
    assert [o["id"] for o in tool.client.get(f"{tool.base}/objects").json()] == [other]
    assert tool.client.get(f"{tool.base}/annotations", params={"frame": 0}).json() == []
    for p in parts:
        assert tool.client.get(f"{tool.base}/objects/{p}/keypoints").status_code == 404


def test_relabelling_a_parent_takes_its_parts_along_and_a_part_alone_is_refused(tool: Tool) -> None:
    client = tool.client
    shaft = tool.part("shaft")
    bigger = client.post(f"{API}/projects/{tool.pid}/labels", json={"name": "robot tool"}).json()["id"]
    client.put(
        f"{API}/projects/{tool.pid}/labels/{bigger}/structure", json={"parts": ["shaft", "wrist", "gripper", "cable"]}
    )
    no_shaft = client.post(f"{API}/projects/{tool.pid}/labels", json={"name": "probe"}).json()["id"]
    client.put(f"{API}/projects/{tool.pid}/labels/{no_shaft}/structure", json={"parts": ["tip"]})

    alone = client.patch(f"{tool.base}/objects/{shaft}", json={"label_id": bigger})
    assert alone.status_code == 422 and "relabel the parent" in alone.json()["detail"]
    lacking = client.patch(f"{tool.base}/objects/{tool.parent}", json={"label_id": no_shaft})
    assert lacking.status_code == 422 and "shaft" in lacking.json()["detail"]
    moved = client.patch(f"{tool.base}/objects/{tool.parent}", json={"label_id": bigger})
    assert moved.status_code == 200, moved.text
    labels = {o["id"]: o["label_id"] for o in client.get(f"{tool.base}/objects").json()}
    assert labels == {tool.parent: bigger, shaft: bigger}
    # Renaming a part is allowed (its name, not its part).
    renamed = client.patch(f"{tool.base}/objects/{shaft}", json={"name": "left shaft"})
    assert renamed.status_code == 200 and renamed.json()["part"] == "shaft"
