"""The review lock: while an assignment of an item is submitted, a reviewer (or another member)
cannot change the item's annotation, its annotators and admins can; review actions stay open."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.teams.conftest import API, Team
from tests.teams.test_review_flow import rle_of, setup_item

LOCKED = "This item is under review: only its annotators and admins can change it"


def test_an_item_under_review_is_read_only_for_its_reviewer(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "cell"}, headers=team.admin).json()
    ann_id, ann = team.add_user("ann", "annotator")
    other_id, other = team.add_user("otto", "annotator")
    rev_id, rev = team.add_user("rita", "reviewer")
    for user_id in (ann_id, other_id, rev_id):
        team.add_member(pid, user_id)
    item = f"{API}/projects/{pid}/media/{mid}"
    (assignment,) = c.post(f"{item}/assignments", json={"user_ids": [ann_id]}, headers=rev).json()
    base = f"{API}/projects/{pid}/assignments/{assignment['id']}"
    c.post(f"{base}/start", headers=ann)
    obj = c.post(f"{item}/objects", json={"label_id": label["id"]}, headers=ann).json()
    mask = np.zeros((120, 160), bool)
    mask[10:50, 10:50] = True
    masks = [{"object_id": obj["id"], "frame_index": 1, "rle": rle_of(mask)}]
    # Before submission the reviewer may still help out (nothing is under review yet).
    assert c.put(f"{item}/annotations", json=masks, headers=rev).status_code == 200
    assert c.post(f"{base}/submit", headers=ann).json()["state"] == "submitted"

    # Under review: every kind of write by the reviewer or another member is refused, saying why.
    writes = [
        ("PUT", f"{item}/annotations", masks),
        ("POST", f"{item}/objects", {"label_id": label["id"]}),
        ("PATCH", f"{item}/objects/{obj['id']}", {"label_id": label["id"]}),
        ("DELETE", f"{item}/objects/{obj['id']}", None),
        ("POST", f"{item}/prompts", {"object_id": obj["id"], "frame_index": 0, "kind": "point", "x": 5, "y": 5}),
        ("POST", f"{item}/propagate", {"object_ids": [obj["id"]], "start_frame": 1}),
        ("DELETE", item, None),
    ]
    for who in (rev, other):
        for method, url, body in writes:
            answer = c.request(method, url, json=body, headers=who)
            assert (answer.status_code, answer.json()["detail"]) == (403, LOCKED), (method, url)
    # Nothing changed: the object and its mask are still there.
    assert [o["id"] for o in c.get(f"{item}/objects", headers=rev).json()] == [obj["id"]]
    assert c.get(f"{item}/annotations", params={"frame": 1}, headers=rev).json()[0]["area"] == 1600

    # Reading, commenting and deciding stay open to the reviewer; the annotator and an admin may write.
    assert c.get(f"{item}/history", headers=rev).status_code == 200
    comment = c.post(f"{base}/comments", json={"text": "Edge is rough", "frame_index": 1}, headers=rev)
    assert comment.status_code == 201
    mask[10:50, 10:60] = True
    assert (
        c.put(f"{item}/annotations", json=masks[:0] + [{**masks[0], "rle": rle_of(mask)}], headers=ann).status_code
        == 200
    )
    assert c.post(f"{item}/objects", json={"label_id": label["id"]}, headers=team.admin).status_code == 201

    # Once decided the lock is gone: after a rejection the reviewer could fix a detail again.
    assert c.post(f"{base}/reject", json={"comment": "see frame 1", "frame_index": 1}, headers=rev).status_code == 200
    assert c.put(f"{item}/annotations", json=masks, headers=rev).status_code == 200


def test_a_tracking_job_on_an_item_under_review_cannot_be_undone_by_the_reviewer(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "cell"}, headers=team.admin).json()
    ann_id, ann = team.add_user("ann", "annotator")
    rev_id, rev = team.add_user("rita", "reviewer")
    for user_id in (ann_id, rev_id):
        team.add_member(pid, user_id)
    item = f"{API}/projects/{pid}/media/{mid}"
    obj = c.post(f"{item}/objects", json={"label_id": label["id"]}, headers=rev).json()
    c.post(
        f"{item}/prompts",
        json={"object_id": obj["id"], "frame_index": 0, "kind": "point", "x": 40, "y": 60},
        headers=rev,
    )
    job = c.post(f"{item}/propagate", json={"object_ids": [obj["id"]], "start_frame": 0}, headers=rev).json()
    (assignment,) = c.post(f"{item}/assignments", json={"user_ids": [ann_id]}, headers=rev).json()
    base = f"{API}/projects/{pid}/assignments/{assignment['id']}"
    c.post(f"{base}/start", headers=ann)
    c.post(f"{base}/submit", headers=ann)
    answer = c.post(f"{API}/jobs/{job['id']}/undo", headers=rev)
    assert (answer.status_code, answer.json()["detail"]) == (403, LOCKED)
