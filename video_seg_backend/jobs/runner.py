"""Run one job in whichever process holds it: claim the row, heartbeat, run, record the end.

The job row is the truth. The in-process worker (jobs/worker.py) and the Celery task
(jobs/celery_app.py) both hand a job id to ``JobRunner.run``: a second message for the same job,
or one for a job another process has taken, finds the row already claimed and does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from video_seg_backend.events import EventBus, JobFinished, JobProgress
from video_seg_backend.models import Job, JobKind, JobStatus, utcnow

log = logging.getLogger(__name__)

# Downloads and exports (slow I/O) run on their own queue and worker slot, so tracking never waits
# behind them.
TRACKING_QUEUE = "tracking"
IO_QUEUE = "io"
QUEUE_BY_KIND: dict[JobKind, str] = {JobKind.download_model: IO_QUEUE, JobKind.export: IO_QUEUE}
# How often a running job reads its row's cancel flag: a cancel from another process lands within
# a frame of tracking while costing one primary-key read per 100 ms.
CANCEL_POLL_S = 0.1


def queue_for(kind: JobKind) -> str:
    return QUEUE_BY_KIND.get(kind, TRACKING_QUEUE)


def runner_name(role: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{role}"


class JobCanceled(Exception):
    pass


class JobContext:
    """Handed to a job function: progress reporting (throttled), cancellation checks, and what an
    earlier attempt of the same job left (``attempt``, ``checkpoint``)."""

    def __init__(self, runner: JobRunner, job: Job) -> None:
        assert job.id is not None
        self._runner = runner
        self.job_id = job.id
        self.project_id = job.project_id
        self.attempt = job.attempts
        self.checkpoint: dict[str, int] = dict(job.checkpoint or {})
        self.frame_delay_s = runner.frame_delay_s
        self.key_frame_marks = runner.key_frame_marks
        self._last_emit = 0.0
        self._last_poll = 0.0
        self._canceled = False
        self.done = 0
        self.total = 0

    @property
    def canceled(self) -> bool:
        if self._canceled or self.job_id in self._runner.cancel_requested:
            return True
        now = time.monotonic()
        if now - self._last_poll >= CANCEL_POLL_S:  # asked from another process: the row says so
            self._last_poll = now
            with Session(self._runner.db) as session:
                job = session.get(Job, self.job_id)
                self._canceled = job is None or job.cancel_requested
        return self._canceled

    def check_cancel(self) -> None:
        if self.canceled:
            raise JobCanceled()

    def progress(
        self,
        done: int,
        total: int,
        force: bool = False,
        *,
        media_id: int | None = None,
        frame: int | None = None,
        frames: list[int] | None = None,
        model: str | None = None,
    ) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if not force and now - self._last_emit < self._runner.min_progress_interval_s:
            return
        self._last_emit = now
        with Session(self._runner.db) as session:
            session.execute(
                update(Job).where(col(Job.id) == self.job_id).values(progress_done=done, progress_total=total)
            )
            session.commit()
        self._runner.events.publish(
            self.project_id,
            JobProgress(
                job_id=self.job_id, done=done, total=total, media_id=media_id, frame=frame, frames=frames, model=model
            ),
        )


# A job function reads its params as stored (jobs/params.py types them per kind) and returns its
# result, which is recorded under ``params.result``.
JobFn = Callable[[JobContext, dict[str, Any]], BaseModel | None]


class JobRunner:
    """Runs jobs by id in this process, under the name ``name`` written in the rows it claims."""

    def __init__(
        self,
        db: Engine,
        events: EventBus,
        name: str,
        *,
        progress_events_per_s: float = 4.0,
        heartbeat_s: float = 2.0,
        frame_delay_s: float = 0.0,
    ) -> None:
        self.db = db
        self.events = events
        self.name = name
        self.min_progress_interval_s = 1.0 / max(progress_events_per_s, 0.1)
        self.heartbeat_s = heartbeat_s
        self.frame_delay_s = frame_delay_s
        self.handlers: dict[JobKind, JobFn] = {}
        # A worker process (not the API's own thread): the clicks that change a video's key frames
        # land in the API's engine, so a video state this process cached may be behind them. Per
        # media item, the key frames it was built from (jobs/propagation.py compares and rebuilds).
        self.key_frame_marks: dict[int, str] | None = None
        # Canceled from this very process: seen at once, without reading the row.
        self.cancel_requested: set[int] = set()

    def register(self, kind: JobKind, fn: JobFn) -> None:
        self.handlers[kind] = fn

    def claim(self, job_id: int) -> Job | None:
        """Take the job if it is queued (atomically: of two runners handed it, one gets it)."""
        now = utcnow()
        with Session(self.db) as session:
            claimed = session.execute(
                update(Job)
                .where(col(Job.id) == job_id, col(Job.status) == JobStatus.queued, col(Job.cancel_requested).is_(False))
                .values(status=JobStatus.running, worker=self.name, attempts=col(Job.attempts) + 1, heartbeat_at=now)
            )
            session.commit()
            job = session.get(Job, job_id)
            if job is None:
                return None
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                if job.status == JobStatus.queued and job.cancel_requested:
                    self.finish(job, JobStatus.canceled, None, None, (job.progress_done, job.progress_total))
                return None
            if job.started_at is None:
                job.started_at = now
                session.add(job)
                session.commit()
                session.refresh(job)
            session.expunge(job)
            return job

    def run(self, job_id: int) -> None:
        job = self.claim(job_id)
        if job is None:
            return
        ctx = JobContext(self, job)
        beating = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(job_id, beating), name=f"job-{job_id}-heartbeat")
        heart.start()
        status, error, result = JobStatus.completed, None, None
        started = time.monotonic()
        try:
            ctx.check_cancel()
            result = self.handlers[job.kind](ctx, dict(job.params))
        except JobCanceled:
            status = JobStatus.canceled
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, job.kind.value)
            status, error = JobStatus.failed, str(exc) or exc.__class__.__name__
        finally:
            beating.set()
            heart.join()
            self.cancel_requested.discard(job_id)
            self.finish(job, status, error, result, (ctx.done, ctx.total))
            log.info(
                "job %s (%s) %s after %.1f s, %d/%d (attempt %d on %s)",
                job_id, job.kind.value, status.value, time.monotonic() - started, ctx.done, ctx.total,
                job.attempts, self.name,
            )  # fmt: skip

    def finish(
        self,
        claimed: Job,
        status: JobStatus,
        error: str | None,
        result: BaseModel | None,
        progress: tuple[int, int],
    ) -> None:
        """Record how the job ended and say so to whoever follows it."""
        assert claimed.id is not None
        with Session(self.db) as session:
            job = session.get(Job, claimed.id)
            if job is None:  # deleted with its media or project while it ran
                self.events.publish(
                    claimed.project_id,
                    JobFinished(
                        job_id=claimed.id, kind=claimed.kind, media_id=claimed.media_id, status=JobStatus.canceled,
                        error="The media item or project was deleted while the job ran.",
                        done=progress[0], total=progress[1],
                    ),
                )  # fmt: skip
                return
            if job.status == JobStatus.running and job.worker not in (None, self.name):
                return  # a reaper gave it to another runner meanwhile: that one records the end
            if progress[1]:
                job.progress_done, job.progress_total = progress
            if result is not None:
                job.params = {**job.params, "result": result.model_dump(mode="json")}
            record_end(session, job, status, error)
            publish_finished(self.events, job)

    def _heartbeat(self, job_id: int, stop: threading.Event) -> None:
        while not stop.wait(self.heartbeat_s):
            try:
                with Session(self.db) as session:
                    session.execute(
                        update(Job)
                        .where(col(Job.id) == job_id, col(Job.worker) == self.name)
                        .values(heartbeat_at=utcnow())
                    )
                    session.commit()
            except Exception:  # a database hiccup must not end the job; the next beat retries
                log.warning("job %s: heartbeat failed", job_id, exc_info=True)


def record_end(session: Session, job: Job, status: JobStatus, error: str | None, when: datetime | None = None) -> None:
    job.status = status
    job.error = error
    job.finished_at = when or utcnow()
    session.add(job)
    session.commit()
    session.refresh(job)


def publish_finished(events: EventBus, job: Job) -> None:
    assert job.id is not None
    events.publish(
        job.project_id,
        JobFinished(
            job_id=job.id, kind=job.kind, media_id=job.media_id, status=job.status, error=job.error,
            done=job.progress_done, total=job.progress_total,
        ),
    )  # fmt: skip
