"""The 'download-model' job: fetch a SAM 2.1 checkpoint with huggingface_hub, reporting bytes."""

from __future__ import annotations

from typing import Any

from video_seg_backend.jobs.worker import JobContext


def run_model_download(registry: Any, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
    def progress(done: int, total: int) -> None:
        ctx.progress(done, total, model=params["model"])

    registry.download(params["model"], progress)
    return {"model": params["model"], "available": registry.info(params["model"]).available}
