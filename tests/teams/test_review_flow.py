"""Assignment and review: assign -> start -> annotate -> submit -> reject with a comment on a
frame -> fix -> submit -> accept; queues, progress per annotator, and the item's history."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pycocotools import mask as mask_utils

from tests.conftest import synthetic_video, upload, wait_media_ready
from tests.teams.conftest import API, Team


def rle_of(mask: np.ndarray) -> dict[str, object]:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode()}


def setup_item(team: Team, tmp_path: Path) -> tuple[int, int]:
    pid = team.project("Cells")
    team.client.headers.update(team.admin)
    try:
        (media,) = upload(
            team.client, pid, ("v.mp4", synthetic_video(tmp_path / "v.mp4", frames=4).read_bytes(), "video/mp4")
        ).json()
        assert wait_media_ready(team.client, pid, media["id"])["status"] == "ready"
    finally:
        del team.client.headers["Authorization"]
    return pid, media["id"]


def test_two_annotators_and_a_reviewer_through_reject_and_accept(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "cell"}, headers=team.admin).json()
    ann_id, ann = team.add_user("ann", "annotator")
    bob_id, bob = team.add_user("bob", "annotator")
    rev_id, rev = team.add_user("rita", "reviewer")
    for user_id in (ann_id, bob_id, rev_id):
        team.add_member(pid, user_id)

    # An annotator cannot hand out work; a reviewer can.
    assert (
        c.post(f"{API}/projects/{pid}/media/{mid}/assignments", json={"user_ids": [ann_id]}, headers=ann).status_code
        == 403
    )
    made = c.post(f"{API}/projects/{pid}/media/{mid}/assignments", json={"user_ids": [ann_id, bob_id]}, headers=rev)
    assert made.status_code == 201
    mine = {a["username"]: a for a in made.json()}
    a_ann, a_bob = mine["ann"]["id"], mine["bob"]["id"]
    assert {a["state"] for a in made.json()} == {"new"}

    # Each annotator's queue holds their own work only; another's assignment is not there at all.
    assert [a["id"] for a in c.get(f"{API}/projects/{pid}/assignments", headers=ann).json()] == [a_ann]
    assert c.get(f"{API}/projects/{pid}/assignments/{a_bob}", headers=ann).status_code == 404
    assert c.post(f"{API}/projects/{pid}/assignments/{a_bob}/start", headers=ann).status_code == 404

    base = f"{API}/projects/{pid}/assignments/{a_ann}"
    assert c.post(f"{base}/submit", headers=ann).status_code == 409  # not started yet
    assert c.post(f"{base}/start", headers=ann).json()["state"] == "in_progress"
    obj = c.post(f"{API}/projects/{pid}/media/{mid}/objects", json={"label_id": label["id"]}, headers=ann).json()
    mask = np.zeros((120, 160), bool)
    mask[40:80, 20:60] = True
    put = c.put(
        f"{API}/projects/{pid}/media/{mid}/annotations",
        json=[{"object_id": obj["id"], "frame_index": 2, "rle": rle_of(mask)}],
        headers=ann,
    )
    assert put.status_code == 200, put.text
    assert c.post(f"{base}/submit", headers=ann).json()["state"] == "submitted"

    # The reviewer sees what waits for review; an annotator cannot accept their own work.
    waiting = c.get(f"{API}/projects/{pid}/assignments", params={"state": "submitted"}, headers=rev).json()
    assert [a["id"] for a in waiting] == [a_ann]
    assert c.post(f"{base}/accept", headers=ann).status_code == 403
    assert c.post(f"{base}/reject", json={}, headers=rev).status_code == 422  # a rejection says why
    rejected = c.post(f"{base}/reject", json={"comment": "The cell is cut off", "frame_index": 2}, headers=rev)
    assert rejected.json()["state"] == "rejected"
    comments = c.get(f"{base}/comments", headers=ann).json()
    assert [(x["author"], x["frame_index"], x["text"]) for x in comments] == [("rita", 2, "The cell is cut off")]

    # Fix and hand in again; accepted.
    assert c.post(f"{base}/start", headers=ann).json()["state"] == "in_progress"
    mask[40:90, 20:70] = True
    c.put(
        f"{API}/projects/{pid}/media/{mid}/annotations",
        json=[{"object_id": obj["id"], "frame_index": 2, "rle": rle_of(mask)}],
        headers=ann,
    )
    assert c.post(f"{base}/submit", headers=ann).json()["state"] == "submitted"
    assert c.post(f"{base}/accept", headers=rev).json()["state"] == "accepted"
    assert c.post(f"{base}/reject", json={"comment": "late"}, headers=rev).status_code == 409

    progress = {p["username"]: p for p in c.get(f"{API}/projects/{pid}/progress", headers=rev).json()}
    assert progress["ann"]["counts"]["accepted"] == 1 and progress["ann"]["total"] == 1
    assert progress["bob"]["counts"]["new"] == 1

    # The item's history says who did what, newest first.
    history = c.get(f"{API}/projects/{pid}/media/{mid}/history", headers=rev).json()
    actions = [(h["username"], h["action"]) for h in reversed(history)]
    assert ("ann", "object.create") in actions
    assert ("ann", "mask.create") in actions and ("ann", "mask.update") in actions
    review = [a for a in actions if a[1].startswith("review.")]
    assert review == [
        ("ann", "review.start"), ("ann", "review.submit"), ("rita", "review.reject"),
        ("ann", "review.start"), ("ann", "review.submit"), ("rita", "review.accept"),
    ]  # fmt: skip
    reject = next(h for h in history if h["action"] == "review.reject")
    assert reject["frame_index"] == 2 and reject["detail"] == "The cell is cut off"


def test_history_in_a_single_user_studio_names_the_local_user(client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pid = client.post(f"{API}/projects", json={"name": "p"}).json()["id"]
    (media,) = upload(
        client, pid, ("v.mp4", synthetic_video(tmp_path / "v.mp4", frames=3).read_bytes(), "video/mp4")
    ).json()
    wait_media_ready(client, pid, media["id"])
    label = client.post(f"{API}/projects/{pid}/labels", json={"name": "x"}).json()
    client.post(f"{API}/projects/{pid}/media/{media['id']}/objects", json={"label_id": label["id"]})
    history = client.get(f"{API}/projects/{pid}/media/{media['id']}/history").json()
    assert [(h["username"], h["action"]) for h in history] == [("local", "object.create")]
