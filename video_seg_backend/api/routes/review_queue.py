from __future__ import annotations

from typing import Annotated

import annotated_types
from fastapi import APIRouter, HTTPException
from sqlmodel import select

from video_seg_backend.api.deps import MediaDep, ProjectDep, SessionDep
from video_seg_backend.models import TrackedObject
from video_seg_backend.review.queue import REVIEW_BELOW, accept, project_queue, review_queue
from video_seg_backend.review.schemas import ProjectReviewQueue, ReviewAccept, ReviewQueue

router = APIRouter(prefix="/projects/{project_id}/media/{media_id}/review-queue", tags=["review"])
project_router = APIRouter(prefix="/projects/{project_id}/review-queue", tags=["review"])

Confidence = Annotated[float, annotated_types.Interval(ge=0, le=1)]
Limit = Annotated[int, annotated_types.Interval(ge=1, le=10_000)]


@project_router.get("", response_model=ProjectReviewQueue)
def get_project_review_queue(
    *, session: SessionDep, project: ProjectDep, below: Confidence = REVIEW_BELOW, limit: Limit = 50
) -> ProjectReviewQueue:
    """The frames to review of all the project's media, most doubtful first (at most ``limit``),
    and for each media item with any: how many, and its most doubtful frame."""
    return project_queue(session, project.id or 0, below, limit)


@router.get("", response_model=ReviewQueue)
def get_review_queue(*, session: SessionDep, media: MediaDep, below: Confidence = REVIEW_BELOW) -> ReviewQueue:
    """Frames whose tracked masks are doubtful (confidence under ``below``), most doubtful first."""
    return review_queue(session, media.id or 0, below)


@router.post("/accept", response_model=ReviewQueue)
def accept_frame(
    *, session: SessionDep, media: MediaDep, body: ReviewAccept, below: Confidence = REVIEW_BELOW
) -> ReviewQueue:
    """Accept a frame's tracked masks as right; answers the queue that is left."""
    if body.frame_index >= media.num_frames:
        raise HTTPException(
            status_code=422,
            detail=f"Frame {body.frame_index} is out of range: this media has frames 0..{media.num_frames - 1}.",
        )
    if body.object_ids is not None:
        known = set(session.exec(select(TrackedObject.id).where(TrackedObject.media_id == media.id)).all())
        unknown = sorted(set(body.object_ids) - known)
        if unknown:
            raise HTTPException(status_code=404, detail=f"Object(s) {unknown} not found in this media item")
    accept(session, media.id or 0, body.frame_index, body.object_ids)
    return review_queue(session, media.id or 0, below)
