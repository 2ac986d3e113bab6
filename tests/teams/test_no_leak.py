"""Every route in the OpenAPI document, tried without a token, with a wrong one, with an expired
one and as a member of another project: 401 or 404, and nothing of the data in the answer."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest
from sqlmodel import Session

from tests.conftest import synthetic_video, upload, wait_media_ready
from tests.teams.conftest import API, Team, bearer
from video_seg_backend.auth.access import PUBLIC
from video_seg_backend.models import Job, JobKind, JobStatus

SECRET_NAME = "Secret project Alpha"
# Routes on the caller's own account: signing the outsider out would end the walk, not test it.
OWN_ACCOUNT = {("POST", "/auth/logout"), ("POST", "/auth/password")}


@pytest.fixture
def world(team: Team, tmp_path: Path) -> dict[str, object]:
    """Project A with a media item, label, object, mask, job and assignment; an outsider who is a
    member of project B only."""
    c, admin = team.client, team.admin
    a = team.project(SECRET_NAME)
    b = team.project("Project B")
    (media,) = upload_as(team, a, synthetic_video(tmp_path / "v.mp4", frames=6).read_bytes())
    mid = media["id"]
    wait_media_ready_as(team, a, mid)
    label = c.post(f"{API}/projects/{a}/labels", json={"name": "alpha-cat"}, headers=admin).json()
    obj = c.post(f"{API}/projects/{a}/media/{mid}/objects", json={"label_id": label["id"]}, headers=admin).json()
    ann_id, _ = team.add_user("ann", "annotator")
    team.add_member(a, ann_id)
    (assignment,) = c.post(
        f"{API}/projects/{a}/media/{mid}/assignments", json={"user_ids": [ann_id]}, headers=admin
    ).json()
    with Session(c.app.state.studio.db) as session:  # type: ignore[attr-defined]
        job = Job(project_id=a, media_id=mid, kind=JobKind.propagate, status=JobStatus.completed)
        session.add(job)
        session.commit()
        job_id = job.id
    outsider_id, outsider = team.add_user("outsider", "annotator")
    team.add_member(b, outsider_id)
    ids = {
        "project_id": a, "media_id": mid, "label_id": label["id"], "object_id": obj["id"], "prompt_id": 1,
        "index": 0, "job_id": job_id, "user_id": ann_id, "assignment_id": assignment["id"], "key": "sam2.1_hiera_tiny",
        "action_pk": 1, "frame_index": 0,
    }  # fmt: skip
    return {"ids": ids, "outsider": outsider, "project_b": b}


def upload_as(team: Team, pid: int, video: bytes) -> list[dict]:
    team.client.headers.update(team.admin)
    try:
        answer = upload(team.client, pid, ("v.mp4", video, "video/mp4"))
        assert answer.status_code == 201, answer.text
        return answer.json()  # type: ignore[no-any-return]
    finally:
        del team.client.headers["Authorization"]


def wait_media_ready_as(team: Team, pid: int, mid: int) -> None:
    team.client.headers.update(team.admin)
    try:
        assert wait_media_ready(team.client, pid, mid)["status"] == "ready"
    finally:
        del team.client.headers["Authorization"]


def routes(team: Team) -> list[tuple[str, str]]:
    doc = team.client.get(f"{API}/openapi.json").json()
    return [(method.upper(), path) for path, ops in doc["paths"].items() for method in ops]


def fill(path: str, ids: dict[str, object]) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), path)


def test_every_route_refuses_a_missing_wrong_or_expired_token(team: Team, world: dict[str, object]) -> None:
    me = team.client.get(f"{API}/auth/me", headers=team.admin).json()
    past = datetime.now(timezone.utc) - timedelta(seconds=5)
    expired = jwt.encode({"sub": str(me["id"]), "ver": 0, "exp": past}, team.settings.secret_key, algorithm="HS256")
    tried = 0
    for method, path in routes(team):
        if (method, path.removeprefix(API)) in PUBLIC:
            continue
        url = fill(path, world["ids"])  # type: ignore[arg-type]
        for headers in ({}, bearer("wrong-token"), bearer(expired)):
            answer = team.client.request(method, url, headers=headers)
            assert answer.status_code == 401, (method, path, headers, answer.text)
            assert answer.json() in ({"detail": "Not signed in"}, {"detail": "Invalid or expired token; sign in again"})
            tried += 1
    assert tried > 100  # the walk found the routes (49 now)


def test_a_member_of_another_project_gets_404_as_for_nothing_there(team: Team, world: dict[str, object]) -> None:
    outsider = world["outsider"]
    scoped = 0
    for method, path in routes(team):
        if (method, path.removeprefix(API)) in PUBLIC | OWN_ACCOUNT:
            continue
        url = fill(path, world["ids"])  # type: ignore[arg-type]
        answer = team.client.request(method, url, headers=outsider)  # type: ignore[arg-type]
        assert SECRET_NAME not in answer.text and "alpha-cat" not in answer.text, (method, path)
        if "{project_id}" in path:
            assert answer.status_code == 404 and answer.json() == {"detail": "Project not found"}, (method, path)
            scoped += 1
        elif "{job_id}" in path:
            assert answer.status_code == 404 and answer.json() == {"detail": "Job not found"}, (method, path)
            scoped += 1
        else:
            assert answer.status_code in (200, 403, 404, 422), (method, path, answer.status_code)
    assert scoped > 30
    # A project id that does not exist answers exactly like one that does.
    missing = team.client.get(f"{API}/projects/999999/media", headers=outsider)  # type: ignore[arg-type]
    assert (missing.status_code, missing.json()) == (404, {"detail": "Project not found"})
    # And nothing was changed by the attempts: project A is whole.
    a = world["ids"]["project_id"]  # type: ignore[index]
    whole = team.client.get(f"{API}/projects/{a}", headers=team.admin).json()
    assert whole["name"] == SECRET_NAME and whole["media_count"] == 1 and whole["label_count"] == 1


def test_another_users_job_is_404_even_in_the_same_project(team: Team, world: dict[str, object]) -> None:
    ids = world["ids"]
    ann = bearer(team.tokens["ann"])
    assert team.client.get(f"{API}/jobs/{ids['job_id']}", headers=ann).status_code == 404  # type: ignore[index]
    assert team.client.get(f"{API}/jobs/{ids['job_id']}", headers=team.admin).status_code == 200  # type: ignore[index]


def test_the_project_list_shows_members_only_their_projects(team: Team, world: dict[str, object]) -> None:
    names = [p["name"] for p in team.client.get(f"{API}/projects", headers=world["outsider"]).json()]  # type: ignore[arg-type]
    assert names == ["Project B"]
    assert len(team.client.get(f"{API}/projects", headers=team.admin).json()) == 2
