"""Where jobs go once asked for: the in-process worker (the default) or the broker's workers.

Embedded (no ``VSS_BROKER_URL``): one thread per queue in this process, ``tracking`` and ``io``, so
a tracking job never waits behind a model download. A restart marks jobs that were running as
failed (interrupted); whatever they had written (masks frame by frame) stays.

Broker mode: ``submit`` sends "run job N" to the job's Celery queue and the workers
(``python -m video_seg_backend worker``) run it; start-up takes up jobs that dead processes left.
Either way the same ``JobRunner`` runs the same job functions: one implementation, two runners.
"""

from __future__ import annotations

import logging
import queue
import threading

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from video_seg_backend.events import EventBus
from video_seg_backend.jobs.runner import (
    IO_QUEUE,
    TRACKING_QUEUE,
    JobCanceled,
    JobContext,
    JobFn,
    JobRunner,
    publish_finished,
    record_end,
    runner_name,
)
from video_seg_backend.models import Job, JobKind, JobStatus, utcnow

log = logging.getLogger(__name__)

__all__ = ["JobCanceled", "JobContext", "JobFn", "JobWorker"]
INTERRUPTED = "Interrupted by a server restart; frames already written are kept."


class JobWorker:
    def __init__(
        self,
        db: Engine,
        events: EventBus,
        progress_events_per_s: float = 4.0,
        *,
        broker_url: str | None = None,
        heartbeat_s: float = 2.0,
        stale_after_s: float = 15.0,
        max_attempts: int = 3,
        frame_delay_s: float = 0.0,
    ) -> None:
        self.db = db
        self.events = events
        self.runner = JobRunner(
            db, events, runner_name("studio"),
            progress_events_per_s=progress_events_per_s, heartbeat_s=heartbeat_s, frame_delay_s=frame_delay_s,
        )  # fmt: skip
        self.stale_after_s = stale_after_s
        self.max_attempts = max_attempts
        self.broker_url = broker_url
        self._broker = None
        if broker_url:
            from video_seg_backend.jobs.celery_app import BrokerQueue

            self._broker = BrokerQueue(broker_url)
        self._queues: dict[str, queue.Queue[int | None]] = {TRACKING_QUEUE: queue.Queue(), IO_QUEUE: queue.Queue()}
        self._threads: list[threading.Thread] = []
        self._busy = 0
        self._busy_lock = threading.Condition()

    def register(self, kind: JobKind, fn: JobFn) -> None:
        self.runner.register(kind, fn)

    def start(self) -> None:
        if self._broker is not None:
            from video_seg_backend.jobs.reaper import reap

            # Jobs a dead worker left are taken up; messages a restarted broker lost are sent again.
            reap(self.db, self.events, self._broker.send, stale_after_s=self.stale_after_s,
                 max_attempts=self.max_attempts)  # fmt: skip
            self._broker.resend_if_lost(self.db)
            return
        self.fail_interrupted()
        for name, jobs in self._queues.items():
            thread = threading.Thread(target=self._run, args=(jobs,), name=f"job-worker-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        if self._broker is not None:
            self._broker.close()
        if not self._threads:
            return
        self.runner.cancel_requested.update(self._running_ids())
        for jobs in self._queues.values():
            jobs.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def fail_interrupted(self) -> None:
        with Session(self.db) as session:
            stale = session.exec(select(Job).where(col(Job.status).in_([JobStatus.running, JobStatus.queued]))).all()
            for job in stale:
                job.status = JobStatus.failed
                job.error = INTERRUPTED
                job.finished_at = utcnow()
                session.add(job)
            session.commit()

    def enqueue(self, session: Session, job: Job) -> Job:
        """Store a new job's row, then hand it to a runner: the row exists before any runner looks."""
        session.add(job)
        session.commit()
        session.refresh(job)
        self.submit(job)
        return job

    def submit(self, job: Job) -> None:
        assert job.id is not None
        if self._broker is not None:
            self._broker.route(self.db, job)
            self._broker.send(job)
            return
        with self._busy_lock:
            self._busy += 1
        self._queues.get(job.queue, self._queues[TRACKING_QUEUE]).put(job.id)

    def cancel(self, job_id: int) -> None:
        """Ask a job to stop: one still queued ends now; a running one, in this process or another,
        reads the flag between frames."""
        self.runner.cancel_requested.add(job_id)
        with Session(self.db) as session:
            session.execute(update(Job).where(col(Job.id) == job_id).values(cancel_requested=True))
            session.commit()
            job = session.get(Job, job_id)
            if job is not None and job.status == JobStatus.queued:
                record_end(session, job, JobStatus.canceled, None)
                publish_finished(self.events, job)

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
        """In-process mode: wait until every submitted job has ended."""
        with self._busy_lock:
            return self._busy_lock.wait_for(lambda: self._busy == 0, timeout)

    def _running_ids(self) -> list[int]:
        with Session(self.db) as session:
            return [j.id for j in session.exec(select(Job).where(Job.status == JobStatus.running)) if j.id]

    def _run(self, jobs: queue.Queue[int | None]) -> None:
        while True:
            job_id = jobs.get()
            if job_id is None:
                return
            try:
                self.runner.run(job_id)
            except Exception:  # the worker must survive any job
                log.exception("job %s crashed the worker loop", job_id)
            finally:
                with self._busy_lock:
                    self._busy -= 1
                    self._busy_lock.notify_all()
