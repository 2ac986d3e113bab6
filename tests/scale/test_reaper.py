"""The reaper: a running job whose runner stopped heartbeating is queued again and its message
re-sent, or failed with the reason after three attempts; a live job is left alone."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from tests.conftest import make_settings
from video_seg_backend.core.db import build_db_engine, init_db
from video_seg_backend.events import build_event_bus
from video_seg_backend.jobs.reaper import reap
from video_seg_backend.models import Job, JobKind, JobStatus, utcnow


def test_stale_jobs_are_taken_up_or_failed_after_three_attempts_and_live_ones_are_left(tmp_path):
    settings = make_settings(tmp_path)
    db = build_db_engine(settings)
    init_db(db)
    events = build_event_bus(settings)
    stale, fresh = utcnow() - timedelta(seconds=60), utcnow()
    with Session(db) as session:
        rows = [
            Job(kind=JobKind.propagate, status=JobStatus.running, attempts=1, worker="gone", heartbeat_at=stale),
            Job(kind=JobKind.propagate, status=JobStatus.running, attempts=3, worker="gone", heartbeat_at=stale),
            Job(kind=JobKind.propagate, status=JobStatus.running, attempts=1, worker="alive", heartbeat_at=fresh),
        ]
        session.add_all(rows)
        session.commit()
        ids = [r.id for r in rows]
    resent: list[int | None] = []
    taken = reap(db, events, lambda job: resent.append(job.id), stale_after_s=15, max_attempts=3)
    assert sorted(taken) == sorted(ids[:2]) and resent == [ids[0]]
    assert reap(db, events, lambda job: resent.append(job.id), stale_after_s=15, max_attempts=3) == []  # once
    with Session(db) as session:
        again, failed, alive = (session.get(Job, i) for i in ids)
        assert again is not None and again.status == JobStatus.queued and again.worker is None
        assert failed is not None and failed.status == JobStatus.failed and failed.finished_at is not None
        assert failed.error is not None and failed.error.startswith("Failed 3 times: the worker running it (gone)")
        assert alive is not None and alive.status == JobStatus.running and alive.worker == "alive"
    events.close()
    db.dispose()
