from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from video_seg_backend import __version__
from video_seg_backend.api.deps import RegistryDep, SessionDep, StateDep
from video_seg_backend.models import Job, JobKind, JobPublic

router = APIRouter(tags=["health"])


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
def download_model(*, session: SessionDep, state: StateDep, key: str) -> Job:
    """Download a model's checkpoint (huggingface_hub) as a job with progress."""
    info = {m.key: m for m in state.registry.catalogue()}.get(key)
    if info is None:
        raise HTTPException(status_code=404, detail=f"Unknown model '{key}'")
    if info.available:
        raise HTTPException(status_code=409, detail=f"Model '{key}' is already available")
    if not info.downloadable:
        raise HTTPException(status_code=409, detail=f"Model '{key}' cannot be downloaded: {info.reason}")
    job = Job(kind=JobKind.download_model, params={"model": key})
    session.add(job)
    session.commit()
    session.refresh(job)
    state.worker.submit(job)
    return job
