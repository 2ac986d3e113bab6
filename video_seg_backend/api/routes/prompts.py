from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlmodel import col, select

from video_seg_backend.api.deps import ReadyMediaDep, SegmentationDep, SessionDep
from video_seg_backend.models import Int, Prompt, PromptCreate, PromptPublic, PromptResult, TrackedObject
from video_seg_backend.services import prompts
from video_seg_backend.services.errors import PromptError

router = APIRouter(prefix="/projects/{project_id}/media/{media_id}/prompts", tags=["prompts"])


@router.get("", response_model=list[PromptPublic])
def list_prompts(*, session: SessionDep, media: ReadyMediaDep, frame: Int | None = None) -> list[Prompt]:
    """List prompts of the media item (``frame``: only that frame)."""
    query = select(Prompt).where(Prompt.media_id == media.id)
    if frame is not None:
        query = query.where(Prompt.frame_index == frame)
    return list(session.exec(query.order_by(col(Prompt.id))))


@router.post("", response_model=PromptResult, status_code=201)
def add_prompt(
    *, session: SessionDep, segmentation: SegmentationDep, media: ReadyMediaDep, body: PromptCreate
) -> PromptResult:
    """Add a point or a box for an object on a frame; returns the object's new mask there."""
    prompt = body.root
    obj = session.get(TrackedObject, prompt.object_id)
    if obj is None or obj.media_id != media.id:
        raise HTTPException(status_code=404, detail="Object not found")
    try:
        return prompts.add_prompt(segmentation, media, prompt)
    except PromptError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc


@router.delete("/{prompt_id}", response_model=PromptResult)
def delete_prompt(
    *,
    session: SessionDep,
    segmentation: SegmentationDep,
    media: ReadyMediaDep,
    prompt_id: Int,
    model: str | None = None,
) -> PromptResult:
    """Remove a prompt; returns the object's recomputed mask on that frame (none if no prompt is left)."""
    prompt = session.get(Prompt, prompt_id)
    if prompt is None or prompt.media_id != media.id:
        raise HTTPException(status_code=404, detail="Prompt not found")
    return prompts.delete_prompt(segmentation, media, prompt, model)
