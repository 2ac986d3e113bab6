from __future__ import annotations

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from video_seg_backend.api.deps import ReadyMediaDep, RegistryDep, SegmentationDep, SessionDep, WorkerDep
from video_seg_backend.detection import load_detector
from video_seg_backend.engine.registry import SAM3_KEY
from video_seg_backend.jobs.params import JobPublic
from video_seg_backend.models import Index, Job
from video_seg_backend.services.auto_annotate import (
    SAM3_DETECTOR,
    AutoAnnotateRequest,
    create_auto_annotate_job,
    detector_labels,
    detectors_here,
)
from video_seg_backend.services.concepts import ConceptRequest, ConceptResult, prompt_concept
from video_seg_backend.services.errors import ModelUnavailable, PromptError

router = APIRouter(tags=["auto-annotate"])


class DetectorPublic(BaseModel):
    name: str
    labels: list[str] | None  # None: open vocabulary (any concept in words)
    error: str | None = None  # a plug-in that cannot be built says why, instead of failing the list


class Detectors(BaseModel):
    detectors: list[DetectorPublic]
    sam3_available: bool
    sam3_reason: str | None


def _describe(name: str) -> DetectorPublic:
    if name == SAM3_DETECTOR:
        return DetectorPublic(name=name, labels=None)
    try:
        labels = detector_labels(load_detector(name))
    except Exception as exc:  # a broken plug-in is someone else's code: list it with the reason
        return DetectorPublic(name=name, labels=None, error=f"{type(exc).__name__}: {exc}")
    return DetectorPublic(name=name, labels=list(labels) if labels is not None else None)


@router.get("/detectors", response_model=Detectors)
def list_detectors(*, registry: RegistryDep) -> Detectors:
    """The detectors auto-annotation can use here, and whether SAM 3 runs (and why not)."""
    available = registry.sam3_available()
    return Detectors(
        detectors=[_describe(name) for name in detectors_here(registry)],
        sam3_available=available,
        sam3_reason=None if available else registry.info(SAM3_KEY).reason,
    )


@router.post("/projects/{project_id}/media/{media_id}/auto-annotate", response_model=JobPublic, status_code=202)
def auto_annotate(
    *, session: SessionDep, registry: RegistryDep, worker: WorkerDep, media: ReadyMediaDep, body: AutoAnnotateRequest
) -> Job:
    """Find every instance of a concept through the video (a job, 202): each track becomes an object."""
    try:
        job = create_auto_annotate_job(session, registry, media, body)
    except PromptError as exc:
        session.rollback()
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except LookupError as exc:
        session.rollback()
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    worker.submit(job)
    return job


@router.post("/projects/{project_id}/media/{media_id}/frames/{frame_index}/concept", response_model=ConceptResult)
def concept_prompt(
    *,
    session: SessionDep,
    segmentation: SegmentationDep,
    media: ReadyMediaDep,
    frame_index: Index,
    body: ConceptRequest,
) -> ConceptResult:
    """Find every instance of a few words on a frame with SAM 3; each becomes an object with the label."""
    try:
        return prompt_concept(segmentation, session, media, frame_index, body)
    except PromptError as exc:
        session.rollback()
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except ModelUnavailable as exc:
        session.rollback()
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except LookupError as exc:
        session.rollback()
        raise HTTPException(status_code=404, detail=str(exc)) from exc
