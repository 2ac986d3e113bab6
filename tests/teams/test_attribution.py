"""A click and a tracking job are recorded with who made them; the job is its owner's."""

from __future__ import annotations

import time
from pathlib import Path

from tests.teams.conftest import API, Team
from tests.teams.test_review_flow import setup_item


def test_a_click_and_a_tracking_job_are_attributed_and_the_job_is_private(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "disc"}, headers=team.admin).json()
    ann_id, ann = team.add_user("ann", "annotator")
    bob_id, bob = team.add_user("bob", "annotator")
    rita_id, rita = team.add_user("rita", "reviewer")
    for user_id in (ann_id, bob_id, rita_id):
        team.add_member(pid, user_id)
    base = f"{API}/projects/{pid}/media/{mid}"
    obj = c.post(f"{base}/objects", json={"label_id": label["id"]}, headers=ann).json()
    click = c.post(f"{base}/prompts", json={"object_id": obj["id"], "frame_index": 0, "x": 30, "y": 60}, headers=ann)
    assert click.status_code in (200, 201), click.text
    job = c.post(f"{base}/propagate", json={"start_frame": 0}, headers=ann)
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    deadline = time.monotonic() + 60
    while c.get(f"{API}/jobs/{job_id}", headers=ann).json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)

    # The owner and a reviewer of the project see the job; another annotator does not know it exists.
    assert c.get(f"{API}/jobs/{job_id}", headers=rita).status_code == 200
    for method, path in (("GET", ""), ("POST", "/cancel"), ("POST", "/undo")):
        answer = c.request(method, f"{API}/jobs/{job_id}{path}", headers=bob)
        assert (answer.status_code, answer.json()) == (404, {"detail": "Job not found"})

    history = c.get(f"{base}/history", headers=rita).json()
    done = {(h["username"], h["action"]) for h in history}
    assert {("ann", "object.create"), ("ann", "prompt.create"), ("ann", "mask.create"), ("ann", "job.create")} <= done
    tracked = next(h for h in history if h["action"] == "job.create")
    assert tracked["job_id"] == job_id and tracked["detail"] == "propagate"
    # Frames the tracker wrote are the job's, not one record each.
    assert sum(h["action"].startswith("mask.") for h in history) <= 2
    # Filter by object: the click and its mask.
    by_object = c.get(f"{base}/history", params={"object_id": obj["id"]}, headers=rita).json()
    assert {h["object_id"] for h in by_object} == {obj["id"]}
    authors = c.get(f"{base}/authors", headers=rita).json()
    assert [(a["object_id"], a["created_by"], a["last_changed_by"]) for a in authors] == [(obj["id"], "ann", "ann")]
