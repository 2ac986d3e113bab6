"""Replicas through the API: agreement per item and pair, the report under a threshold, and the
merge that keeps the replicas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tests.teams.conftest import API, Team
from tests.teams.test_review_flow import rle_of, setup_item


def draw(team: Team, headers: dict[str, str], pid: int, mid: int, label_id: int, masks: dict[int, np.ndarray]) -> int:
    c = team.client
    obj = c.post(f"{API}/projects/{pid}/media/{mid}/objects", json={"label_id": label_id}, headers=headers).json()
    body = [{"object_id": obj["id"], "frame_index": f, "rle": rle_of(m)} for f, m in masks.items()]
    assert c.put(f"{API}/projects/{pid}/media/{mid}/annotations", json=body, headers=headers).status_code == 200
    return int(obj["id"])


def test_replicas_are_compared_reported_and_merged(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)  # 4 frames of 160x120
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "cell"}, headers=team.admin).json()
    ann_id, ann = team.add_user("ann", "annotator")
    bob_id, bob = team.add_user("bob", "annotator")
    _, rev = team.add_user("rita", "reviewer")
    for user_id in (ann_id, bob_id):
        team.add_member(pid, user_id)
    assign = c.post(
        f"{API}/projects/{pid}/media/{mid}/assignments", json={"user_ids": [ann_id, bob_id], "replica": True},
        headers=team.admin,
    )  # fmt: skip
    assert all(a["replica"] for a in assign.json())

    big = np.zeros((120, 160), bool)
    big[20:60, 20:60] = True  # 1600 px
    small = np.zeros((120, 160), bool)
    small[20:60, 20:40] = True  # 800 px, inside big
    a_obj = draw(team, ann, pid, mid, label["id"], {0: big, 1: big})
    b_obj = draw(team, bob, pid, mid, label["id"], {0: small, 1: big})

    report = c.get(f"{API}/projects/{pid}/media/{mid}/consensus", headers=team.admin).json()
    assert report["annotators"] == ["ann", "bob"]
    (pair,) = report["pairs"]
    assert pair["matches"] == [[a_obj, b_obj, pytest.approx((800 + 1600) / (1600 + 1600))]]
    # J per frame over the 4 frames: 0.5, 1, and 1 on the two frames neither drew.
    assert pair["mean_j"] == pytest.approx((0.5 + 1 + 1 + 1) / 4)
    assert report["score"] == pytest.approx(pair["mean_j"])
    assert report["groups"] == [{"ann": a_obj, "bob": b_obj}]

    listed = c.get(f"{API}/projects/{pid}/consensus", params={"threshold": 0.95}, headers=team.admin).json()
    assert [(r["media_id"], r["score"]) for r in listed] == [(mid, pytest.approx(0.875))]
    assert c.get(f"{API}/projects/{pid}/consensus", params={"threshold": 0.8}, headers=team.admin).json() == []

    assert c.post(f"{API}/projects/{pid}/media/{mid}/consensus/merge", json={}, headers=ann).status_code == 403
    merged = c.post(f"{API}/projects/{pid}/media/{mid}/consensus/merge", json={}, headers=team.admin)
    assert merged.status_code == 201, merged.text
    (new_id,) = merged.json()["object_ids"]
    masks = {
        a["frame_index"]: mask_utils.decode({"size": a["rle"]["size"], "counts": a["rle"]["counts"].encode()})
        for a in c.get(
            f"{API}/projects/{pid}/media/{mid}/annotations", params={"object_id": new_id}, headers=team.admin
        ).json()
    }
    # Majority of 2: a pixel both drew. Frame 0 is the small box, frame 1 the big one.
    assert masks[0].sum() == 800 and masks[1].sum() == 1600
    objects = {o["id"] for o in c.get(f"{API}/projects/{pid}/media/{mid}/objects", headers=team.admin).json()}
    assert objects == {a_obj, b_obj, new_id}  # the replicas are kept

    picked = c.post(
        f"{API}/projects/{pid}/media/{mid}/consensus/merge", json={"picks": {"0": ann_id}}, headers=team.admin
    )  # fmt: skip
    (pick_id,) = picked.json()["object_ids"]
    frame0 = c.get(
        f"{API}/projects/{pid}/media/{mid}/annotations", params={"object_id": pick_id, "frame": 0}, headers=team.admin
    ).json()[0]
    assert frame0["area"] == 1600  # ann's mask, as picked
    assert c.post(
        f"{API}/projects/{pid}/media/{mid}/consensus/merge", json={"picks": {"5": ann_id}}, headers=team.admin
    ).status_code == 422  # fmt: skip
    history = c.get(f"{API}/projects/{pid}/media/{mid}/history", headers=rev)
    assert history.status_code == 404  # rita is not a member of this project
