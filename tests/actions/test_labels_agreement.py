"""Action labels per person and keyframe by two replica annotators, their agreement (Cohen and
Fleiss per action, box IoU apart), the QC list, and the reviewer's majority merge."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.actions.helpers import API, SIT, STAND, TALK, label_map, person, tick, video_item
from tests.teams.conftest import Team


def test_labels_are_checked(client, tmp_path: Path):
    pid, mid = video_item(client, tmp_path)
    label_map(client, pid)
    label = client.post(f"{API}/projects/{pid}/labels", json={"name": "person"}).json()["id"]
    obj = person(client, pid, mid, label, {0: (10, 10, 50, 100), 10: (12, 10, 52, 100)})
    keyframes = client.get(f"{API}/projects/{pid}/media/{mid}/keyframes").json()
    assert [k["frame_index"] for k in keyframes["keyframes"]] == [0, 10, 20, 30]
    assert keyframes["hz"] == 1 and keyframes["video_id"] == "walk"

    assert tick(client, pid, mid, obj, 0, [STAND, TALK]).status_code == 200
    not_key = tick(client, pid, mid, obj, 5, [STAND])
    assert not_key.status_code == 422 and "not a keyframe; the nearest are [0, 10]" in not_key.json()["detail"]
    both = tick(client, pid, mid, obj, 10, [SIT, STAND])
    assert both.status_code == 422 and "'sit' and 'stand' exclude each other" in both.json()["detail"]
    unknown = tick(client, pid, mid, obj, 10, [99])
    assert unknown.status_code == 422 and "action 99 is not in the project's vocabulary" in unknown.json()["detail"]
    no_box = tick(client, pid, mid, obj, 20, [STAND])
    assert no_box.status_code == 422 and "no mask on frame 20" in no_box.json()["detail"]
    assert tick(client, pid, mid, 10**6, 0, [STAND]).status_code == 404
    # a second tick replaces the first; an empty set is "none of these"
    assert tick(client, pid, mid, obj, 0, []).json()["actions"] == []
    labels = client.get(f"{API}/projects/{pid}/media/{mid}/action-labels").json()
    assert [(r["object_id"], r["frame_index"], r["actions"], r["annotator"]) for r in labels] == [(obj, 0, [], "local")]

    # 2 keyframes a second: 0, 5, 10, ...
    rate = client.put(f"{API}/projects/{pid}/actions/keyframe-rate", json={"hz": 2, "media_id": mid})
    assert rate.status_code == 204
    frames = [k["frame_index"] for k in client.get(f"{API}/projects/{pid}/media/{mid}/keyframes").json()["keyframes"]]
    assert frames == [0, 5, 10, 15, 20, 25, 30, 35]
    assert client.put(f"{API}/projects/{pid}/actions/keyframe-rate", json={"hz": 0}).status_code == 422


def test_two_replicas_agreement_qc_and_merge(team: Team, tmp_path: Path):
    c = team.client
    pid, mid = video_item(c, tmp_path, headers=team.admin)
    label_map(c, pid, team.admin)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "person"}, headers=team.admin).json()["id"]
    ann_id, ann = team.add_user("ann", "annotator")
    bob_id, bob = team.add_user("bob", "annotator")
    for user_id in (ann_id, bob_id):
        team.add_member(pid, user_id)
    assigned = c.post(
        f"{API}/projects/{pid}/media/{mid}/assignments", json={"user_ids": [ann_id, bob_id], "replica": True},
        headers=team.admin,
    )  # fmt: skip
    assert assigned.status_code == 201, assigned.text

    # Each replica boxes the persons on its own. P1/Q1 are one person (IoU 0.886); P2 and Q2
    # overlap at IoU 0.30 only, so each is a person the other annotator did not label.
    p1 = person(c, pid, mid, label, {f: (10, 10, 50, 100) for f in (0, 10, 20)}, ann)
    p2 = person(c, pid, mid, label, {0: (90, 10, 140, 100)}, ann)
    q1 = person(c, pid, mid, label, {f: (12, 12, 52, 100) for f in (0, 10, 20)}, bob)
    q2 = person(c, pid, mid, label, {0: (100, 60, 150, 110)}, bob)
    for obj, frame, actions, who in [
        (p1, 0, [STAND], ann), (p1, 10, [STAND, TALK], ann), (p1, 20, [SIT], ann), (p2, 0, [STAND], ann),
        (q1, 0, [STAND], bob), (q1, 10, [STAND], bob), (q1, 20, [SIT], bob), (q2, 0, [STAND], bob),
    ]:  # fmt: skip
        answer = tick(c, pid, mid, obj, frame, actions, who)
        assert answer.status_code == 200, answer.text
    # a replica cannot label what it cannot see
    assert tick(c, pid, mid, q1, 0, [SIT], ann).status_code == 404
    mine = c.get(f"{API}/projects/{pid}/media/{mid}/action-labels", headers=ann).json()
    assert {r["object_id"] for r in mine} == {p1, p2} and {r["annotator"] for r in mine} == {"ann"}
    assert (
        c.get(f"{API}/projects/{pid}/media/{mid}/action-labels", params={"everyone": True}, headers=ann).status_code
        == 403
    )

    report = c.get(f"{API}/projects/{pid}/media/{mid}/action-agreement", headers=team.admin).json()
    assert report["annotators"] == ["ann", "bob"] and report["persons"] == 5
    (pair,) = report["pairs"]
    assert (pair["matched"], pair["unmatched_a"], pair["unmatched_b"]) == (3, 1, 1)
    assert pair["mean_box_iou"] == pytest.approx(3344 / 3776)
    # 5 items (3 matched, 2 unmatched). stand: A 11010, B 11001 -> po .6, pe .52; sit: equal; talk: A 01000, B none.
    cohen = {k["action_id"]: k["kappa"] for k in pair["per_action"]}
    assert cohen == {STAND: pytest.approx(0.08 / 0.48), SIT: pytest.approx(1.0), TALK: pytest.approx(0.0)}
    assert pair["kappa"] == pytest.approx((0.08 / 0.48 + 1) / 3)
    fleiss = {k["action_id"]: k["kappa"] for k in report["per_action"]}
    assert fleiss == {STAND: pytest.approx(0.08 / 0.48), SIT: pytest.approx(1.0), TALK: pytest.approx(-0.02 / 0.18)}
    assert report["kappa"] == pytest.approx((0.08 / 0.48 + 1 - 0.02 / 0.18) / 3)

    qc = c.get(f"{API}/projects/{pid}/action-qc", params={"threshold": 0.5}, headers=team.admin).json()
    assert [(r["media_id"], r["annotators"], r["kappa"]) for r in qc] == [
        (mid, ["ann", "bob"], pytest.approx(report["kappa"]))
    ]
    assert c.get(f"{API}/projects/{pid}/action-qc", params={"threshold": 0.3}, headers=team.admin).json() == []

    merge = f"{API}/projects/{pid}/media/{mid}/action-agreement/merge"
    assert c.post(merge, headers=ann).status_code == 403
    merged = c.post(merge, headers=team.admin)
    assert merged.json() == {"persons": 3}
    rows = c.get(
        f"{API}/projects/{pid}/media/{mid}/action-labels", params={"everyone": True}, headers=team.admin
    ).json()
    accepted = sorted((r["object_id"], r["frame_index"], r["actions"]) for r in rows if r["merged"])
    # by majority of 2: what both ticked; the persons only one annotator saw are left out
    assert accepted == [(p1, 0, [STAND]), (p1, 10, [STAND]), (p1, 20, [SIT])]
    assert len([r for r in rows if not r["merged"]]) == 8  # the replicas' labels are kept


def test_annotators_labelling_the_same_persons_and_the_export_without_a_merge(team: Team, tmp_path: Path):
    """Shared persons (one set of tracks, e.g. from auto-annotation) labelled by two members: the
    same object matches itself; unmerged, the export keeps what more than half of them ticked."""
    import io
    import zipfile

    from tests.actions.ava_reader import load

    c = team.client
    pid, mid = video_item(c, tmp_path, headers=team.admin)
    label_map(c, pid, team.admin)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "person"}, headers=team.admin).json()["id"]
    obj = person(c, pid, mid, label, {0: (10, 10, 50, 100), 10: (10, 10, 50, 100)}, team.admin)
    ann_id, ann = team.add_user("ann", "annotator")
    bob_id, bob = team.add_user("bob", "annotator")
    for user_id in (ann_id, bob_id):
        team.add_member(pid, user_id)
    for who, second_frame in ((ann, [STAND, TALK]), (bob, [STAND])):
        assert tick(c, pid, mid, obj, 0, [SIT], who).status_code == 200
        assert tick(c, pid, mid, obj, 10, second_frame, who).status_code == 200
    report = c.get(f"{API}/projects/{pid}/media/{mid}/action-agreement", headers=team.admin).json()
    (pair,) = report["pairs"]
    assert (pair["matched"], pair["unmatched_a"], pair["unmatched_b"], pair["mean_box_iou"]) == (2, 0, 0, 1.0)
    kappas = {k["action_id"]: k["kappa"] for k in pair["per_action"]}
    # sit and stand: both tick the same one of the two items; talk: only ann, once (po 0.5, pe 0.5)
    assert kappas == {SIT: pytest.approx(1.0), STAND: pytest.approx(1.0), TALK: pytest.approx(0.0)}
    export = c.get(f"{API}/projects/{pid}/export", params={"format": "ava"}, headers=team.admin)
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    entries = load(archive.read("annotations.csv").decode(), archive.read("excluded_timestamps.csv").decode(), 80)
    ticked = {key: sorted(np.nonzero(e.labels[0])[0].tolist()) for key, e in entries.items()}
    assert ticked == {"walk,0000": [SIT], "walk,0001": [STAND]}  # talk: 1 of 2 annotators is no majority
