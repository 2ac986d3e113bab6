"""Two saves of the same tick at once (two tabs of one annotator) leave one label, not two votes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from tests.actions.helpers import API, SIT, STAND, TALK, label_map, person, tick, video_item
from video_seg_backend.actions import store
from video_seg_backend.api.routes import actions as action_routes
from video_seg_backend.models import ActionLabel, Media


def _labelled_person(client, tmp_path: Path) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    pid, mid = video_item(client, tmp_path)
    label_map(client, pid)
    label = client.post(f"{API}/projects/{pid}/labels", json={"name": "person"}).json()["id"]
    return pid, mid, person(client, pid, mid, label, {0: (10, 10, 50, 100)})


def test_the_database_refuses_a_second_row_for_one_annotator_person_and_keyframe(client, tmp_path: Path):
    """Both sessions look, find nothing and insert: the second commit is refused (the local user,
    whose annotator is NULL, included) while a merged row beside it is fine."""
    _, mid, obj = _labelled_person(client, tmp_path)
    db = client.app.state.studio.db
    with Session(db) as first, Session(db) as second:
        media = first.get(Media, mid)
        store.set_label(first, media, obj, 0, None, [STAND])
        store.set_label(second, second.get(Media, mid), obj, 0, None, [SIT])
        first.commit()
        with pytest.raises(IntegrityError):
            second.commit()
    with Session(db) as session:
        session.add(ActionLabel(media_id=mid, object_id=obj, frame_index=0, merged=True, actions=[TALK]))
        session.commit()
        rows = session.exec(select(ActionLabel).where(ActionLabel.object_id == obj)).all()
        assert sorted((r.merged, r.actions) for r in rows) == [(False, [STAND]), (True, [TALK])]


def test_a_save_that_loses_the_race_replaces_the_winner(client, tmp_path: Path, monkeypatch):
    """The other tab's save lands between this request's look-up and its commit: the request still
    answers 200 and its actions are the one label."""
    pid, mid, obj = _labelled_person(client, tmp_path)
    db = client.app.state.studio.db
    real = store.set_label
    raced = []

    def other_tab_first(session, media, object_id, frame_index, annotator_id, actions):  # type: ignore[no-untyped-def]
        row = real(session, media, object_id, frame_index, annotator_id, actions)
        if not raced:
            raced.append(True)
            with Session(db) as other:
                real(other, other.get(Media, mid), object_id, frame_index, annotator_id, [SIT])
                other.commit()
        return row

    monkeypatch.setattr(action_routes, "set_label", other_tab_first)
    answer = tick(client, pid, mid, obj, 0, [STAND, TALK])
    assert answer.status_code == 200, answer.text
    assert answer.json()["actions"] == [STAND, TALK]
    labels = client.get(f"{API}/projects/{pid}/media/{mid}/action-labels").json()
    assert [(r["object_id"], r["frame_index"], r["actions"]) for r in labels] == [(obj, 0, [STAND, TALK])]
