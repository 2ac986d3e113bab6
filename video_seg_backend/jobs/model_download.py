"""The 'download-model' job: fetch a SAM 2.1 checkpoint with huggingface_hub, reporting bytes.

It runs on the ``io`` queue. A machine that cannot reach the Hub fails at once with the reason
(huggingface_hub alone retries for ~23 s), and a cancel ends the job within a second even while
bytes are arriving: the download runs in a thread the job watches.
"""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlsplit

from video_seg_backend.engine.registry import ModelRegistry
from video_seg_backend.jobs.params import DownloadModelParams, DownloadModelResult
from video_seg_backend.jobs.runner import JobCanceled, JobContext

# Long enough for a slow link's TCP handshake, short enough that an offline press fails at once.
HUB_CONNECT_TIMEOUT_S = 3.0
CANCEL_WATCH_S = 0.2


def hub_unreachable_reason() -> str | None:
    """Why the Hugging Face Hub cannot be reached from here, or None when a connection opens."""
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    parts = urlsplit(endpoint)
    host = parts.hostname or "huggingface.co"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=HUB_CONNECT_TIMEOUT_S):
            return None
    except OSError as exc:
        return (
            f"The Hugging Face Hub ({host}:{port}) cannot be reached from this machine ({exc.strerror or exc}); "
            "copy the checkpoint into the checkpoint folder, or download it where the Hub is reachable."
        )


def run_model_download(registry: ModelRegistry, ctx: JobContext, params: DownloadModelParams) -> DownloadModelResult:
    if not registry.info(params.model).available:
        reason = hub_unreachable_reason()
        if reason is not None:
            raise RuntimeError(reason)
    failure: list[BaseException] = []

    def progress(done: int, total: int) -> None:
        if ctx.canceled:
            raise JobCanceled()  # stops huggingface_hub at its next chunk; the job has ended already
        ctx.progress(done, total, model=params.model)

    def download() -> None:
        try:
            registry.download(params.model, progress)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=download, name=f"job-{ctx.job_id}-download", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(CANCEL_WATCH_S)
        ctx.check_cancel()
    if failure:
        raise failure[0]
    return DownloadModelResult(model=params.model, available=registry.info(params.model).available)
