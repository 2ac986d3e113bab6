"""One background worker that runs jobs (tracking, model downloads) in order.

Interactive requests never wait for it: clicks run in the request's own thread. Cancel is a flag
the running job checks between frames. A restart marks jobs that were running as failed
(interrupted); whatever they had written (masks frame by frame) stays.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from video_seg_backend.events import EventBus, JobFinished, JobProgress
from video_seg_backend.models import Job, JobKind, JobStatus, utcnow

log = logging.getLogger(__name__)


class JobCanceled(Exception):
    pass


class JobContext:
    """Handed to a job function: progress reporting (throttled) and cancellation checks."""

    def __init__(self, worker: JobWorker, job_id: int, project_id: int | None) -> None:
        self._worker = worker
        self.job_id = job_id
        self.project_id = project_id
        self._last_emit = 0.0
        self.done = 0
        self.total = 0

    @property
    def canceled(self) -> bool:
        return self.job_id in self._worker._cancel_requested

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
        if not force and now - self._last_emit < self._worker.min_progress_interval_s:
            return
        self._last_emit = now
        with Session(self._worker.db) as session:
            job = session.get(Job, self.job_id)
            if job is not None:
                job.progress_done, job.progress_total = done, total
                session.add(job)
                session.commit()
        self._worker.events.publish(
            self.project_id,
            JobProgress(
                job_id=self.job_id, done=done, total=total, media_id=media_id, frame=frame, frames=frames, model=model
            ),
        )


# A job function reads its params as stored (jobs/params.py types them per kind) and returns its
# result, which is recorded under ``params.result``.
JobFn = Callable[[JobContext, dict[str, Any]], BaseModel | None]


class JobWorker:
    def __init__(self, db: Engine, events: EventBus, progress_events_per_s: float = 4.0) -> None:
        self.db = db
        self.events = events
        self.min_progress_interval_s = 1.0 / max(progress_events_per_s, 0.1)
        self._handlers: dict[JobKind, JobFn] = {}
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._cancel_requested: set[int] = set()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()

    def register(self, kind: JobKind, fn: JobFn) -> None:
        self._handlers[kind] = fn

    def start(self) -> None:
        self.fail_interrupted()
        self._thread = threading.Thread(target=self._run, name="job-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        self._cancel_requested.update(self._running_ids())
        self._queue.put(None)
        self._thread.join(timeout)
        self._thread = None

    def fail_interrupted(self) -> None:
        with Session(self.db) as session:
            stale = session.exec(select(Job).where(col(Job.status).in_([JobStatus.running, JobStatus.queued]))).all()
            for job in stale:
                job.status = JobStatus.failed
                job.error = "Interrupted by a server restart; frames already written are kept."
                job.finished_at = utcnow()
                session.add(job)
            session.commit()

    def submit(self, job: Job) -> None:
        assert job.id is not None
        self._idle.clear()
        self._queue.put(job.id)

    def cancel(self, job_id: int) -> None:
        self._cancel_requested.add(job_id)
        with Session(self.db) as session:
            job = session.get(Job, job_id)
            if job is not None and job.status == JobStatus.queued:
                self._finish(session, job, JobStatus.canceled, None)

    def cancel_media_jobs(self, media_id: int) -> None:
        """Stop the queued and running jobs of a media item that is being deleted: a running one
        stops before its next frame instead of tracking into rows that are gone."""
        with Session(self.db) as session:
            ids = session.exec(
                select(Job.id).where(
                    Job.media_id == media_id, col(Job.status).in_([JobStatus.queued, JobStatus.running])
                )
            ).all()
        for job_id in ids:
            if job_id is not None:
                self.cancel(job_id)

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)

    def _running_ids(self) -> list[int]:
        with Session(self.db) as session:
            return [j.id for j in session.exec(select(Job).where(Job.status == JobStatus.running)) if j.id]

    def _run(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self._run_one(job_id)
            except Exception:  # the worker must survive any job
                log.exception("job %s crashed the worker loop", job_id)
            finally:
                if self._queue.empty():
                    self._idle.set()

    def _run_one(self, job_id: int) -> None:
        with Session(self.db) as session:
            job = session.get(Job, job_id)
            if job is None or job.status != JobStatus.queued:
                return
            job.status = JobStatus.running
            job.started_at = utcnow()
            session.add(job)
            session.commit()
            kind, params, project_id, media_id = job.kind, dict(job.params), job.project_id, job.media_id
        ctx = JobContext(self, job_id, project_id)
        status, error, result = JobStatus.completed, None, None
        started = time.monotonic()
        try:
            if job_id in self._cancel_requested:
                raise JobCanceled()
            result = self._handlers[kind](ctx, params)
        except JobCanceled:
            status = JobStatus.canceled
        except Exception as exc:
            log.exception("job %s (%s) failed", job_id, kind.value)
            status, error = JobStatus.failed, str(exc) or exc.__class__.__name__
        finally:
            self._cancel_requested.discard(job_id)
            with Session(self.db) as session:
                job = session.get(Job, job_id)
                if job is not None:
                    job.progress_done, job.progress_total = ctx.done, ctx.total
                    if result is not None:
                        job.params = {**job.params, "result": result.model_dump(mode="json")}
                    self._finish(session, job, status, error)
                else:  # deleted with its media or project while it ran: say so to whoever follows it
                    status, error = JobStatus.canceled, "The media item or project was deleted while the job ran."
                    self._publish_finished(project_id, job_id, kind, media_id, status, error, ctx.done, ctx.total)
            log.info(
                "job %s (%s) %s after %.1f s, %d/%d",
                job_id,
                kind.value,
                status.value,
                time.monotonic() - started,
                ctx.done,
                ctx.total,
            )

    def _finish(self, session: Session, job: Job, status: JobStatus, error: str | None) -> None:
        job.status = status
        job.error = error
        job.finished_at = utcnow()
        session.add(job)
        session.commit()
        assert job.id is not None
        self._publish_finished(
            job.project_id, job.id, job.kind, job.media_id, status, error, job.progress_done, job.progress_total
        )

    def _publish_finished(
        self,
        project_id: int | None,
        job_id: int,
        kind: JobKind,
        media_id: int | None,
        status: JobStatus,
        error: str | None,
        done: int,
        total: int,
    ) -> None:
        self.events.publish(
            project_id,
            JobFinished(
                job_id=job_id, kind=kind, media_id=media_id, status=status, error=error, done=done, total=total
            ),
        )
