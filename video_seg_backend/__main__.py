"""``python -m video_seg_backend``: the studio and its API on VSS_HOST:VSS_PORT (default localhost:3000).

``python -m video_seg_backend worker``: a job worker for broker mode (VSS_BROKER_URL), one per GPU.
It runs tracking jobs and, in a second process of its own, the ``io`` queue (model downloads), so
a download never holds a tracking job; ``--queues`` picks one of them.

``python -m video_seg_backend create-admin --username NAME``: the first admin account, which a
studio bound beyond loopback needs before it starts (password from VSS_ADMIN_PASSWORD or asked).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys

import uvicorn

from video_seg_backend.core.config import get_settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m video_seg_backend")
    commands = parser.add_subparsers(dest="command")
    worker = commands.add_parser("worker", help="run jobs from the broker (VSS_BROKER_URL), one process per GPU")
    worker.add_argument("--queues", default="tracking,io", help="tracking, io, or both (io in a second process)")
    worker.add_argument("--name", default=None, help="the worker's name in job rows and logs (default: host:pid)")
    admin = commands.add_parser("create-admin", help="the first admin (password from VSS_ADMIN_PASSWORD or asked)")
    admin.add_argument("--username", required=True)
    args = parser.parse_args(argv)
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "worker":
        run_worker_command(args.queues.split(","), args.name)
        return
    if args.command == "create-admin":
        from video_seg_backend.auth.cli import create_admin, read_password

        print(create_admin(args.username, read_password(), settings))
        return
    from video_seg_backend.main import create_app

    # One process: the engines keep models and video states in memory, shared by every request.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


def _die_with_parent() -> None:
    """In the ``io`` child, before exec: Linux sends it SIGTERM when its parent worker dies, even by
    SIGKILL (which skips the ``finally`` below), so no download slot outlives its worker."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def limit_threads(n: int) -> None:
    """Keep this process's engine to ``n`` threads: OpenCV now, torch when (or if) it is imported."""
    import cv2

    cv2.setNumThreads(n)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)  # read by torch when it loads; the io child inherits them
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


def run_worker_command(queues: list[str], name: str | None) -> None:
    from video_seg_backend.jobs.celery_app import run_worker
    from video_seg_backend.jobs.runner import IO_QUEUE, runner_name

    settings = get_settings()
    if not settings.broker_url:
        raise SystemExit("A worker takes its jobs from a broker: set VSS_BROKER_URL=redis://host:6379/0")
    queues = [q.strip() for q in queues if q.strip()]
    if hasattr(os, "nice"):  # up to the setting, not by it: the io child inherits it already
        os.nice(max(0, settings.worker_nice - os.nice(0)))
    if settings.worker_threads:
        limit_threads(settings.worker_threads)
    io_slot = None
    if IO_QUEUE in queues and len(queues) > 1:  # its own process: a download never holds tracking
        queues.remove(IO_QUEUE)
        io_name = f"{name}-io" if name else None
        io_slot = subprocess.Popen(
            [sys.executable, "-m", "video_seg_backend", "worker", "--queues", IO_QUEUE]
            + (["--name", io_name] if io_name else []),
            preexec_fn=_die_with_parent,
        )
    try:
        run_worker(settings, queues, name or runner_name("worker"))
    finally:
        if io_slot is not None:
            io_slot.terminate()
            io_slot.wait(30)


if __name__ == "__main__":
    main()
