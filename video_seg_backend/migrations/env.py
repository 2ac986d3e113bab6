"""Alembic environment: the studio's SQLModel tables are the target schema.

The app runs migrations itself at start-up (``core/migrations.py`` hands over its connection);
the ``alembic`` command line (``alembic.ini`` at the repository root) reaches the database of the
current settings (``VSS_DATA_DIR`` / ``DATABASE_URL``), for writing a new revision with
``alembic revision --autogenerate -m "..."``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from video_seg_backend import models  # noqa: F401 - registers the tables
from video_seg_backend.core.migrations import configure_context, migration_connection


def run_with(connection: Connection) -> None:
    configure_context(context, connection, SQLModel.metadata)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    from video_seg_backend.core.config import get_settings
    from video_seg_backend.core.db import build_db_engine

    engine = build_db_engine(get_settings())
    with migration_connection(engine) as conn:  # the same safeguards as the app's own upgrade
        run_with(conn)
    engine.dispose()
