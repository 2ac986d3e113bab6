"""The job list per user: ``started_by`` filters it, and an annotator sees only their own jobs
(as GET /jobs/{id} already answers another's job with 404)."""

from __future__ import annotations

from pathlib import Path

from tests.teams.conftest import API, Team
from tests.teams.test_review_flow import setup_item


def test_the_job_list_filters_by_who_started_a_job(team: Team, tmp_path: Path) -> None:
    c = team.client
    pid, mid = setup_item(team, tmp_path)
    label = c.post(f"{API}/projects/{pid}/labels", json={"name": "cell"}, headers=team.admin).json()
    item = f"{API}/projects/{pid}/media/{mid}"
    started: dict[str, int] = {}
    people = {}
    for name, role in (("ann", "annotator"), ("bob", "annotator"), ("rita", "reviewer")):
        user_id, headers = team.add_user(name, role)
        team.add_member(pid, user_id)
        people[name] = (user_id, headers)
    for name in ("ann", "bob"):
        headers = people[name][1]
        obj = c.post(f"{item}/objects", json={"label_id": label["id"]}, headers=headers).json()
        prompt = {"object_id": obj["id"], "frame_index": 0, "kind": "point", "x": 40, "y": 60}
        assert c.post(f"{item}/prompts", json=prompt, headers=headers).status_code == 201
        job = c.post(f"{item}/propagate", json={"object_ids": [obj["id"]], "start_frame": 0}, headers=headers)
        assert job.status_code == 202, job.text
        started[name] = job.json()["id"]

    jobs = f"{API}/projects/{pid}/jobs"
    rita = people["rita"][1]
    assert sorted(j["id"] for j in c.get(jobs, headers=rita).json()) == sorted(started.values())
    ann_id = people["ann"][0]
    assert [j["id"] for j in c.get(jobs, params={"started_by": ann_id}, headers=rita).json()] == [started["ann"]]
    # An annotator's list is their own, whatever they ask for.
    bob = people["bob"][1]
    assert [j["id"] for j in c.get(jobs, headers=bob).json()] == [started["bob"]]
    assert [j["id"] for j in c.get(jobs, params={"started_by": ann_id}, headers=bob).json()] == [started["bob"]]
