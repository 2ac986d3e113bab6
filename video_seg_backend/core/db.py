"""Database engine and sessions (SQLite by default, any SQLAlchemy URL through DATABASE_URL)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from video_seg_backend.core.config import Settings
from video_seg_backend.core.migrations import upgrade_database


def build_db_engine(settings: Settings) -> Engine:
    url = settings.db_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Requests and the job worker write from different threads.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            # WAL lets the studio read masks while a propagation job writes them frame by frame.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def init_db(engine: Engine) -> None:
    """The schema at its newest migration; an older database is upgraded in place."""
    from video_seg_backend import models  # noqa: F401 - registers the tables

    upgrade_database(engine)
