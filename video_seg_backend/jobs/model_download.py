"""The 'download-model' job: fetch a SAM 2.1 checkpoint with huggingface_hub, reporting bytes."""

from __future__ import annotations

from video_seg_backend.engine.registry import ModelRegistry
from video_seg_backend.jobs.params import DownloadModelParams, DownloadModelResult
from video_seg_backend.jobs.worker import JobContext


def run_model_download(registry: ModelRegistry, ctx: JobContext, params: DownloadModelParams) -> DownloadModelResult:
    def progress(done: int, total: int) -> None:
        ctx.progress(done, total, model=params.model)

    registry.download(params.model, progress)
    return DownloadModelResult(model=params.model, available=registry.info(params.model).available)
