"""Replicas are independent: each annotator sees only their own objects, masks and prompts on the
item; reviewers see them all."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.teams.conftest import API, Team
from tests.teams.test_consensus_api import draw
from tests.teams.test_review_flow import rle_of, setup_item


def test_each_replica_annotator_sees_only_their_own_objects(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "cell"}, headers=team.admin).json()
    ann_id, ann = team.add_user("ann", "annotator")
    bob_id, bob = team.add_user("bob", "annotator")
    rev_id, rev = team.add_user("rita", "reviewer")
    for user_id in (ann_id, bob_id, rev_id):
        team.add_member(pid, user_id)
    c.post(
        f"{API}/projects/{pid}/media/{mid}/assignments", json={"user_ids": [ann_id, bob_id], "replica": True},
        headers=rev,
    )  # fmt: skip
    mask = np.zeros((120, 160), bool)
    mask[10:30, 10:30] = True
    a_obj = draw(team, ann, pid, mid, label["id"], {0: mask})
    b_obj = draw(team, bob, pid, mid, label["id"], {0: mask, 1: mask})
    base = f"{API}/projects/{pid}/media/{mid}"

    def seen(headers: dict[str, str]) -> tuple[set[int], set[int]]:
        objects = {o["id"] for o in c.get(f"{base}/objects", headers=headers).json()}
        masks = {a["object_id"] for a in c.get(f"{base}/annotations", headers=headers).json()}
        return objects, masks

    assert seen(ann) == ({a_obj}, {a_obj})
    assert seen(bob) == ({b_obj}, {b_obj})
    assert seen(rev) == ({a_obj, b_obj}, {a_obj, b_obj})
    # Another replica's object answers like a missing one, and cannot be changed.
    gone = c.patch(f"{base}/objects/{b_obj}", json={"name": "mine now"}, headers=ann)
    assert (gone.status_code, gone.json()) == (404, {"detail": "Object not found"})
    put = c.put(f"{base}/annotations", json=[{"object_id": b_obj, "frame_index": 2, "rle": rle_of(mask)}], headers=ann)
    assert put.status_code == 404
    summary = c.get(f"{base}/annotations/summary", headers=ann).json()
    assert [s["object_id"] for s in summary] == [a_obj]
