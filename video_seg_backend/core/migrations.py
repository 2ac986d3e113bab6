"""Schema migrations (Alembic), run by the app at start-up so that every release opens the
``./data`` of the one before.

A database made before migrations existed (release 0.1.0 built its tables with ``create_all``)
has the baseline schema but no ``alembic_version`` table: it is stamped at the baseline and then
upgraded like any other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
# The schema of release 0.1.0, the last one built by create_all.
BASELINE_REVISION = "0001"
# Any constant: API replicas starting together take turns to migrate (Postgres advisory lock).
_PG_MIGRATION_LOCK = 0x56_53_53_01


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def configure_context(context: Any, connection: Connection, metadata: MetaData) -> None:
    """What every migration run shares, the app's and the command line's."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most of a table: batch mode rebuilds it (copy, drop, rename).
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # SQLModel's own column types, written as the plain SQLAlchemy types they store as, so that
    # migrations never import sqlmodel (whose types may move between its releases).
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction, safe for schema changes.

    SQLite: foreign keys are off while the schema changes. A batch migration drops and recreates a
    table; with enforcement on, dropping ``media`` would cascade and delete every object and mask
    of the copy it is about to rename into place. The keys are checked before the commit.
    Postgres: an advisory lock, so that replicas starting together migrate one at a time.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # takes effect outside a transaction only
            connection.commit()
        try:
            with connection.begin():
                if engine.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"A migration left rows whose parent is gone: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade_database(engine: Engine) -> None:
    """Bring the database to the newest schema (an empty one gets every table)."""
    with migration_connection(engine) as connection:
        config = alembic_config(connection)
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables and "project" in tables:
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
