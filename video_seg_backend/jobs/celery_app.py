"""Broker mode (``VSS_BROKER_URL``): jobs run as Celery tasks on worker processes.

A message only says "run job N"; the job row is the truth (jobs/runner.py claims it). Each worker
process is a solo pool that takes one message at a time and acknowledges it when the job ends, so a
queued job waits in Redis where any idle worker can take it, not behind a busy one.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import TYPE_CHECKING

import redis
from celery import Celery
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from video_seg_backend.jobs.reaper import queued_jobs, reap
from video_seg_backend.jobs.runner import IO_QUEUE, TRACKING_QUEUE, JobRunner
from video_seg_backend.models import Job, JobKind, JobStatus

if TYPE_CHECKING:
    from video_seg_backend.core.config import Settings

log = logging.getLogger(__name__)

CELERY_CONFIG = dict(
    task_acks_late=True,  # done when the job is, not when the message arrives
    worker_prefetch_multiplier=1,  # one message per worker: the rest wait where any worker can take them
    task_ignore_result=True,  # the job row is the result
    task_default_queue=TRACKING_QUEUE,
    task_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
    worker_cancel_long_running_tasks_on_connection_loss=False,
)
app = Celery("video_seg_backend")  # the workers' app: its broker is set when the worker starts
app.conf.update(CELERY_CONFIG)
RUN_JOB = "vss.run_job"
# Set in Redis while the broker keeps its lists; gone after a restart without persistence, which is
# how a reaper knows that queued jobs' messages may be lost and sends them again.
BROKER_EPOCH_KEY = "vss:jobs:broker-epoch"
# Set by each tracking worker every heartbeat, expiring after the stale limit: "this worker lives".
WORKER_ALIVE_KEY = "vss:jobs:worker-alive:"
OWN_QUEUE_PREFIX = f"{TRACKING_QUEUE}."


def own_queue(worker: str) -> str:
    return OWN_QUEUE_PREFIX + worker


_runner: JobRunner | None = None


@app.task(name=RUN_JOB)
def run_job(job_id: int) -> None:
    if _runner is None:
        raise RuntimeError("This process is not a job worker (python -m video_seg_backend worker)")
    _runner.run(job_id)


class BrokerQueue:
    """Sends "run job N" to the job's queue; the API and every worker's reaper hold one."""

    def __init__(self, broker_url: str) -> None:
        # An app of its own: its producer pool is bound to this broker, whatever else the process holds.
        self._app = Celery("video_seg_backend", broker=broker_url, set_as_current=False)
        self._app.conf.update(CELERY_CONFIG)
        self._redis = redis.Redis.from_url(broker_url, socket_timeout=5)

    def send(self, job: Job) -> None:
        self._app.send_task(RUN_JOB, args=[job.id], queue=job.queue)

    # --- warm states: a video's tracking goes to the worker that last tracked it, while it lives ---
    def mark_alive(self, name: str, ttl_s: float) -> None:
        self._redis.set(WORKER_ALIVE_KEY + name, "1", ex=max(1, math.ceil(ttl_s)))

    def alive(self, name: str) -> bool:
        return bool(self._redis.exists(WORKER_ALIVE_KEY + name))

    def route(self, db: Engine, job: Job) -> None:
        """Put a tracking job on the own queue of the live, idle worker that last tracked its video
        (its engine state is warm there), else on the shared one; recorded in ``job.queue``."""
        if job.queue != TRACKING_QUEUE or job.media_id is None:
            return
        with Session(db) as session:
            last = session.exec(
                select(Job.worker)
                .where(Job.media_id == job.media_id, Job.kind == JobKind.propagate, Job.id != job.id)
                .where(col(Job.worker).is_not(None))
                .order_by(col(Job.id).desc())
                .limit(1)
            ).first()
            if last is None or not self.alive(last):
                return
            busy = session.exec(
                select(Job.id).where(Job.worker == last, Job.status == JobStatus.running).limit(1)
            ).first()
            if busy is not None:  # a free worker replaying the prompts beats waiting behind a whole job
                return
            job.queue = own_queue(last)
            session.execute(update(Job).where(col(Job.id) == job.id).values(queue=job.queue))
            session.commit()

    def reroute_orphans(self, db: Engine) -> int:
        """Queued jobs waiting on the own queue of a worker that died go to the shared queue."""
        moved = 0
        for job in queued_jobs(db):
            owner = job.queue.removeprefix(OWN_QUEUE_PREFIX)
            if job.queue.startswith(OWN_QUEUE_PREFIX) and not self.alive(owner):
                with Session(db) as session:
                    changed = session.execute(
                        update(Job)
                        .where(col(Job.id) == job.id, col(Job.queue) == job.queue, col(Job.status) == JobStatus.queued)
                        .values(queue=TRACKING_QUEUE)
                    )
                    session.commit()
                if changed.rowcount == 1:  # type: ignore[attr-defined]
                    job.queue = TRACKING_QUEUE
                    self.send(job)
                    moved += 1
        return moved

    def close(self) -> None:
        self._app.close()
        self._redis.close()

    def resend_if_lost(self, db: Engine) -> int:
        """After a broker restart (or the first start), send every queued job's message again: a
        duplicate finds its row claimed and does nothing. Returns how many were sent."""
        if not self._redis.set(BROKER_EPOCH_KEY, "1", nx=True):
            return 0
        jobs = queued_jobs(db)
        for job in jobs:
            self.send(job)
        if jobs:
            log.warning("the broker had lost its state: %d queued job(s) sent again", len(jobs))
        return len(jobs)


def watch_jobs(
    settings: Settings, runner: JobRunner, broker: BrokerQueue, queues: list[str], stop: threading.Event
) -> None:
    """A worker's reaper loop: jobs of dead workers, and messages a restarted broker lost."""
    tracking = own_queue(runner.name) in queues
    while True:
        try:
            if tracking:
                broker.mark_alive(runner.name, settings.job_stale_after_s)
            broker.reroute_orphans(runner.db)
            reap(
                runner.db, runner.events, broker.send,
                stale_after_s=settings.job_stale_after_s, max_attempts=settings.job_max_attempts,
            )  # fmt: skip
            broker.resend_if_lost(runner.db)
        except Exception:  # the broker or database is away for a moment: the next round retries
            log.warning("job reaper round failed", exc_info=True)
        if stop.wait(settings.job_heartbeat_s):
            return


def run_worker(settings: Settings, queues: list[str], name: str) -> None:
    """The ``worker`` command: this process runs the jobs of ``queues`` one at a time."""
    global _runner
    from video_seg_backend.main import build_state

    assert settings.broker_url, "a worker needs VSS_BROKER_URL"
    app.conf.broker_url = settings.broker_url
    state = build_state(settings)
    state.worker.runner.name = name
    state.worker.runner.key_frame_marks = {}
    _runner = state.worker.runner
    unknown = set(queues) - {TRACKING_QUEUE, IO_QUEUE}
    if unknown:
        raise SystemExit(f"Unknown queue(s) {sorted(unknown)}: use {TRACKING_QUEUE} and/or {IO_QUEUE}")
    if TRACKING_QUEUE in queues:  # and its own, where the videos it tracked last come back to it
        queues = [*queues, own_queue(name)]
    broker = BrokerQueue(settings.broker_url)
    stop = threading.Event()
    reaper = threading.Thread(
        target=watch_jobs, args=(settings, _runner, broker, queues, stop), name="job-reaper", daemon=True
    )
    reaper.start()
    try:
        app.worker_main([
            "worker", "--pool=solo", "--concurrency=1", "--prefetch-multiplier=1", "-Q", ",".join(queues),
            "-n", name, "--loglevel=INFO", "--without-gossip", "--without-mingle",
        ])  # fmt: skip
    finally:
        stop.set()
        broker.close()
        state.events.close()
        state.db.dispose()
