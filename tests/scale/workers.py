"""Real Celery workers (``python -m video_seg_backend worker``) as subprocesses, always stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.scale.studio import wait_for
from video_seg_backend.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
# Workers run below the API's priority (nice 10): on a busy two-core machine, importing torch and
# connecting to the broker took over 60 s once. How fast a worker starts is not what tests measure.
WORKER_START_S = 180


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "VSS_DATA_DIR": str(settings.data_dir),
        "VSS_CHECKPOINT_DIR": str(settings.checkpoint_dir),
        "VSS_BROKER_URL": settings.broker_url or "",
        "VSS_OFFLINE": "1",
        "VSS_JOB_HEARTBEAT_S": str(settings.job_heartbeat_s),
        "VSS_JOB_STALE_AFTER_S": str(settings.job_stale_after_s),
        "VSS_JOB_FRAME_DELAY_S": str(settings.job_frame_delay_s),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    if settings.database_url:
        env["VSS_DATABASE_URL"] = settings.database_url
    return env


class Workers:
    """Worker processes by name; their logs go to files under ``logs`` for a failing test to show."""

    def __init__(self, settings: Settings, logs: Path, **env: str) -> None:
        self.settings = settings
        self.logs = logs
        self.env = env  # more VSS_* settings for the worker processes
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, queues: str = "tracking") -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "video_seg_backend", "worker", "--queues", queues, "--name", name],
            cwd=ROOT, env=worker_env(self.settings, **self.env), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait(10)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_ready(self, name: str, what: str | None = None) -> None:
        """Until the worker's log says it is ready for tasks."""
        wait_for(lambda: " ready." in self.log(name), WORKER_START_S, what or f"worker {name} started", poll=0.2)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextmanager
def workers(settings: Settings, logs: Path, *names: str, **env: str) -> Iterator[Workers]:
    group = Workers(settings, logs, **env)
    try:
        for name in names:
            group.start(name)
        yield group
    finally:
        group.stop_all()
