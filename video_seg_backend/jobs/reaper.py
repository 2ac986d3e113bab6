"""Jobs left by a process that died: found by their stale heartbeat and taken up again.

Each broker worker runs ``reap`` every few seconds and the API once at start-up. A running job
whose runner stopped heartbeating goes back to ``queued`` and its message is sent again (the
broker's own redelivery of an unacked message waits for the visibility timeout, an hour); after
``max_attempts`` tries it is failed with the reason. Every change is a conditional UPDATE, so two
reapers looking at once take a job up only once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from video_seg_backend.events import EventBus
from video_seg_backend.jobs.runner import publish_finished, record_end
from video_seg_backend.models import Job, JobStatus, utcnow

log = logging.getLogger(__name__)

Resend = Callable[[Job], None]


def reap(db: Engine, events: EventBus, resend: Resend, *, stale_after_s: float, max_attempts: int) -> list[int]:
    """Take up the running jobs whose heartbeat is older than ``stale_after_s``; returns their ids."""
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    taken: list[int] = []
    with Session(db) as session:
        stale = session.exec(
            select(Job).where(
                Job.status == JobStatus.running,
                or_(col(Job.heartbeat_at) < cutoff, col(Job.heartbeat_at).is_(None)),  # None: run by 0.1
            )
        ).all()
        for job in stale:
            assert job.id is not None
            lost = job.worker
            if job.cancel_requested:
                status, error = JobStatus.canceled, None
            elif job.attempts >= max_attempts:
                status = JobStatus.failed
                error = (
                    f"Failed {job.attempts} times: the worker running it ({lost}) stopped answering (killed or "
                    "out of memory); frames already written are kept."
                )
            else:
                status, error = JobStatus.queued, None
            moved = session.execute(
                update(Job)
                .where(col(Job.id) == job.id, col(Job.status) == JobStatus.running, col(Job.worker) == lost)
                .values(status=status, worker=None)
            )
            session.commit()
            if moved.rowcount != 1:  # type: ignore[attr-defined]  # another reaper was first
                continue
            session.refresh(job)
            taken.append(job.id)
            if status == JobStatus.queued:
                log.warning(
                    "job %s: %s stopped heartbeating; queued again (attempt %d done)", job.id, lost, job.attempts
                )
                resend(job)
            else:
                log.warning("job %s: %s stopped heartbeating; %s", job.id, lost, status.value)
                record_end(session, job, status, error)
                publish_finished(events, job)
    return taken


def queued_jobs(db: Engine) -> list[Job]:
    """Every queued job, oldest first: what to send again when the broker may have lost them."""
    with Session(db) as session:
        jobs = list(session.exec(select(Job).where(Job.status == JobStatus.queued).order_by(col(Job.id))))
        for job in jobs:
            session.expunge(job)
        return jobs
