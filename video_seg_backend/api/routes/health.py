from __future__ import annotations

import threading

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel
from sqlmodel import Session, col, select

from video_seg_backend import __version__
from video_seg_backend.api.deps import RegistryDep, SessionDep, WorkerDep
from video_seg_backend.jobs.params import DownloadModelParams, JobPublic
from video_seg_backend.jobs.runner import queue_for
from video_seg_backend.jobs.worker import JobWorker
from video_seg_backend.models import Job, JobKind, JobStatus

router = APIRouter(tags=["health"])
# Presses that arrive together at one API process look for a queued download one after the other.
_download_lock = threading.Lock()


class Health(BaseModel):
    status: str
    version: str
    device: str
    # SAM 2's compute precision on that device: "bf16" or "fp32" (VSS_PRECISION).
    precision: str
    default_model: str
    # The engines whose packages are installed here ("opencv", "edgetam", "sam2").
    engines: list[str]


class ModelPublic(BaseModel):
    key: str
    engine: str
    name: str
    available: bool
    reason: str | None
    downloadable: bool
    default: bool
    # One line for the model picker: speed class, weights size, gated or not.
    summary: str
    speed: str
    weights_mb: int | None
    gated: bool


@router.get("/health", response_model=Health)
def health(*, registry: RegistryDep) -> Health:
    """Service status, version, compute device and precision, default model, importable engines."""
    return Health(
        status="ok",
        version=__version__,
        device=registry.device,
        precision=registry.precision,
        default_model=registry.default_key(),
        engines=registry.importable_engines(),
    )


@router.get("/models", response_model=list[ModelPublic])
def list_models(*, registry: RegistryDep) -> list[ModelPublic]:
    """The model catalogue: which models can be used now, and why not for the others."""
    default = registry.default_key()
    return [
        ModelPublic(
            key=m.key,
            engine=m.engine,
            name=m.name,
            available=m.available,
            reason=m.reason,
            downloadable=m.downloadable,
            default=m.key == default,
            summary=m.summary,
            speed=m.speed,
            weights_mb=m.weights_mb,
            gated=m.gated,
        )
        for m in registry.catalogue()
    ]


@router.post("/models/{key}/download", response_model=JobPublic, status_code=202)
def download_model(*, session: SessionDep, registry: RegistryDep, worker: WorkerDep, key: str) -> Job:
    """Download a model's checkpoint (huggingface_hub) as a job with progress."""
    info = {m.key: m for m in registry.catalogue()}.get(key)
    if info is None:
        raise HTTPException(status_code=404, detail=f"Unknown model '{key}'")
    if info.available:
        raise HTTPException(status_code=409, detail=f"Model '{key}' is already available")
    if not info.downloadable:
        raise HTTPException(status_code=409, detail=f"Model '{key}' cannot be downloaded: {info.reason}")
    with _download_lock:
        return _download_job(session, worker, key)


def _download_job(session: Session, worker: JobWorker, key: str) -> Job:
    found = _active_download(session, key)
    if found is not None:  # pressed again while it is on its way: the same job, not another
        return found
    job = Job(
        kind=JobKind.download_model,
        queue=queue_for(JobKind.download_model),
        params=DownloadModelParams(model=key).model_dump(mode="json"),
    )
    session.add(job)
    session.commit()
    # Another API replica may have inserted the same download meanwhile (the lock above is per
    # process): every replica keeps the oldest active one, so the newer row goes unsubmitted.
    oldest = _active_download(session, key)
    if oldest is not None and oldest.id != job.id:
        session.delete(job)
        session.commit()
        return oldest
    session.refresh(job)
    worker.submit(job)
    return job


def _active_download(session: Session, key: str) -> Job | None:
    active = session.exec(
        select(Job)
        .where(Job.kind == JobKind.download_model, col(Job.status).in_([JobStatus.queued, JobStatus.running]))
        .order_by(col(Job.id))
    ).all()
    return next((j for j in active if j.params.get("model") == key and not j.cancel_requested), None)
