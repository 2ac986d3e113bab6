"""Schema migrations: every release opens the ./data of the one before, and the models and the
migrations never disagree."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from sqlmodel import SQLModel

from tests.actions.helpers import API, SIT, STAND, TALK, label_map, person, video_item
from tests.conftest import make_settings
from tests.real_services import postgres_server
from video_seg_backend import models  # noqa: F401 - registers the tables
from video_seg_backend.core.db import build_db_engine, init_db
from video_seg_backend.core.migrations import (
    alembic_config,
    current_revision,
    head_revision,
    migration_connection,
    upgrade_database,
)
from video_seg_backend.main import create_app

RELEASE_0_1_0 = Path(__file__).parent / "fixtures" / "studio-0.1.0.sql"


def schema_diff(engine) -> list:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)


def release_0_1_0_data_dir(tmp_path: Path) -> Path:
    """A ./data folder whose database release 0.1.0 wrote (tables by create_all, no alembic_version)."""
    data = tmp_path / "data"
    data.mkdir()
    with sqlite3.connect(data / "studio.db") as db:
        db.executescript(RELEASE_0_1_0.read_text())
    return data


def test_an_empty_database_gets_every_table_at_head_and_matches_the_models(tmp_path: Path) -> None:
    engine = build_db_engine(make_settings(tmp_path))
    init_db(engine)
    assert current_revision(engine) == head_revision()
    assert schema_diff(engine) == []
    init_db(engine)  # a second start changes nothing
    assert current_revision(engine) == head_revision()


def test_models_changed_without_a_migration_fail_the_comparison(tmp_path: Path) -> None:
    """The check above can fail: a column the migrations lack shows up as a difference."""
    engine = build_db_engine(make_settings(tmp_path))
    init_db(engine)
    with engine.begin() as connection:
        Operations(MigrationContext.configure(connection)).drop_index("ix_prompt_frame_index", "prompt")
    assert [d[0] for d in schema_diff(engine)] == ["add_index"]


def test_a_release_0_1_0_data_folder_opens_upgraded_with_its_work(tmp_path: Path) -> None:
    data = release_0_1_0_data_dir(tmp_path)
    settings = make_settings(tmp_path, data_dir=data)
    with TestClient(create_app(settings)) as client:
        projects = {p["name"]: p for p in client.get("/api/v1/projects").json()}
        assert set(projects) == {"Street scenes", "Stills"}
        pid = projects["Street scenes"]["id"]
        labels = client.get(f"/api/v1/projects/{pid}/labels").json()
        assert [(label["name"], label["color"]) for label in labels] == [("car", "#1f77b4"), ("person", "#ff7f0e")]
        (media,) = client.get(f"/api/v1/projects/{pid}/media").json()
        assert (media["name"], media["status"], media["num_frames"]) == ("disc.mp4", "ready", 8)
        base = f"/api/v1/projects/{pid}/media/{media['id']}"
        objects = client.get(f"{base}/objects").json()
        assert [(o["track_id"], o["name"]) for o in objects] == [(1, None), (2, "walker")]
        prompts = client.get(f"{base}/prompts").json()
        assert [(p["kind"], p["frame_index"], p["positive"]) for p in prompts] == [
            ("point", 0, True), ("point", 0, False), ("box", 3, True),
        ]  # fmt: skip
        masks = client.get(f"{base}/annotations").json()
        tracked = [m for m in masks if m["object_id"] == objects[0]["id"]]
        assert sorted(m["frame_index"] for m in tracked) == list(range(8))
        assert {m["source"] for m in tracked} == {"prompt", "propagated"}
        assert all(m["area"] > 0 and m["rle"]["size"] == [120, 160] for m in masks)
        assert len(masks) == 9
        # The upgraded database takes new work as any other.
        created = client.post(f"{base}/objects", json={"label_id": labels[0]["id"]})
        assert created.status_code == 201 and created.json()["track_id"] == 3
    engine = create_engine(f"sqlite:///{data / 'studio.db'}")
    assert current_revision(engine) == head_revision()
    assert schema_diff(engine) == []


def test_a_migration_that_rebuilds_a_parent_table_keeps_its_children(tmp_path: Path) -> None:
    """SQLite's batch mode drops and recreates a table: with foreign keys enforced, dropping
    ``media`` would cascade into every object, prompt and mask. The migration connection turns
    enforcement off for the change and checks the keys before committing."""
    data = release_0_1_0_data_dir(tmp_path)
    engine = build_db_engine(make_settings(tmp_path, data_dir=data))
    upgrade_database(engine)

    def counts() -> tuple[int, ...]:
        with engine.connect() as c:
            return tuple(
                c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in ("object", "prompt", "annotation")
            )  # noqa: E501

    before = counts()
    assert before == (2, 3, 9)
    with migration_connection(engine) as connection:
        with Operations(MigrationContext.configure(connection)).batch_alter_table("media", recreate="always") as batch:
            batch.alter_column("error", existing_type=None, nullable=True)
    assert counts() == before
    with engine.connect() as c:  # enforcement is back on for the app's own connections
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


@pytest.fixture(scope="module")
def postgres_url() -> object:
    with postgres_server() as url:
        yield url


def test_postgres_upgrades_to_head_matching_the_models(postgres_url: str) -> None:
    engine = create_engine(postgres_url)
    upgrade_database(engine)
    upgrade_database(engine)  # a second replica starting finds nothing to do
    assert current_revision(engine) == head_revision()
    assert schema_diff(engine) == []
    assert "project" in inspect(engine).get_table_names()
    engine.dispose()


def test_the_studio_runs_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    settings = make_settings(tmp_path, database_url=postgres_url)
    with TestClient(create_app(settings)) as client:
        created = client.post("/api/v1/projects", json={"name": "On Postgres", "media_type": "image"})
        assert created.status_code == 201
        label = client.post(f"/api/v1/projects/{created.json()['id']}/labels", json={"name": "cat"})
        assert label.status_code == 201
        assert "On Postgres" in [p["name"] for p in client.get("/api/v1/projects").json()]


def _duplicate_labels_upgrade(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Labels saved twice before 0012 (one annotator's two rows for a person and keyframe) keep
    their newest row after the upgrade; other annotators' rows and merged rows stay."""
    with TestClient(create_app(settings)) as client:
        pid, mid = video_item(client, tmp_path)
        label_map(client, pid)
        label = client.post(f"{API}/projects/{pid}/labels", json={"name": "person"}).json()["id"]
        obj = person(client, pid, mid, label, {0: (10, 10, 50, 100)})
        engine = client.app.state.studio.db
        with migration_connection(engine) as connection:
            command.downgrade(alembic_config(connection), "0011")
        rows = [  # (annotator, merged, actions, saved at)
            (None, False, [STAND], "2026-01-01 10:00:00"),
            (None, False, [SIT], "2026-01-01 11:00:00"),
            (None, False, [TALK], "2026-01-01 09:00:00"),
            (None, True, [STAND], "2026-01-01 08:00:00"),
        ]
        with engine.begin() as c:
            for annotator, merged, actions, at in rows:
                c.execute(
                    text(
                        "INSERT INTO action_label (media_id, object_id, frame_index, annotator_id, merged, actions,"
                        " updated_at) VALUES (:m, :o, 0, :a, :merged, :actions, :at)"
                    ),
                    {"m": mid, "o": obj, "a": annotator, "merged": merged, "actions": json.dumps(actions), "at": at},
                )
        upgrade_database(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as c:
            left = c.execute(text("SELECT merged, actions FROM action_label ORDER BY merged")).all()
        kept = [(bool(m), json.loads(a) if isinstance(a, str) else a) for m, a in left]
        assert kept == [(False, [SIT]), (True, [STAND])]
        labels = client.get(f"{API}/projects/{pid}/media/{mid}/action-labels").json()
        assert [(r["frame_index"], r["actions"]) for r in labels] == [(0, [SIT])]


def test_duplicate_action_labels_keep_their_newest_row_on_upgrade(tmp_path: Path) -> None:
    _duplicate_labels_upgrade(make_settings(tmp_path), tmp_path)


def test_duplicate_action_labels_keep_their_newest_row_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    _duplicate_labels_upgrade(make_settings(tmp_path, database_url=postgres_url), tmp_path)
