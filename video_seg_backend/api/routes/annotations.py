from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlmodel import col, select

from video_seg_backend.api.deps import MediaDep, SessionDep
from video_seg_backend.models import Annotation, AnnotationPublic
from video_seg_backend.services.segmentation import annotation_public

router = APIRouter(prefix="/projects/{project_id}/media/{media_id}/annotations", tags=["annotations"])


@router.get("", response_model=list[AnnotationPublic])
def list_annotations(
    *,
    session: SessionDep,
    media: MediaDep,
    frame: int | None = None,
    start: int | None = None,
    end: int | None = None,
    object_id: int | None = None,
) -> list[AnnotationPublic]:
    """Masks as COCO RLE: one frame (``frame``), a range (``start``..``end`` inclusive) or all."""
    if frame is not None and (start is not None or end is not None):
        raise HTTPException(status_code=422, detail="Use either frame or start/end, not both")
    query = select(Annotation).where(Annotation.media_id == media.id)
    if frame is not None:
        query = query.where(Annotation.frame_index == frame)
    if start is not None:
        query = query.where(Annotation.frame_index >= start)
    if end is not None:
        query = query.where(Annotation.frame_index <= end)
    if object_id is not None:
        query = query.where(Annotation.object_id == object_id)
    rows = session.exec(query.order_by(col(Annotation.frame_index), col(Annotation.object_id))).all()
    return [annotation_public(a) for a in rows]
