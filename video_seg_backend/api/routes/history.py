"""Who did what, and when: an item's history, newest first."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlmodel import col, select

from video_seg_backend.api.deps import MediaDep, ProjectDep, SessionDep
from video_seg_backend.auth.schemas_review import HistoryEventPublic, ObjectAuthors
from video_seg_backend.models import HistoryEvent, Int

router = APIRouter(tags=["history"])


@router.get("/projects/{project_id}/media/{media_id}/history", response_model=list[HistoryEventPublic])
def media_history(
    *,
    session: SessionDep,
    media: MediaDep,
    object_id: Int | None = None,
    limit: int = Query(default=200, ge=1, le=5000),
) -> list[HistoryEvent]:
    """Prompts, mask changes, objects, tracking jobs and review actions on one item, newest first."""
    query = select(HistoryEvent).where(HistoryEvent.media_id == media.id)
    if object_id is not None:
        query = query.where(HistoryEvent.object_id == object_id)
    return list(session.exec(query.order_by(col(HistoryEvent.id).desc()).limit(limit)))


@router.get("/projects/{project_id}/history", response_model=list[HistoryEventPublic])
def project_history(
    *, session: SessionDep, project: ProjectDep, limit: int = Query(default=200, ge=1, le=5000)
) -> list[HistoryEvent]:
    """Everything recorded in the project, newest first."""
    query = select(HistoryEvent).where(HistoryEvent.project_id == project.id)
    return list(session.exec(query.order_by(col(HistoryEvent.id).desc()).limit(limit)))


@router.get("/projects/{project_id}/media/{media_id}/authors", response_model=list[ObjectAuthors])
def object_authors(*, session: SessionDep, media: MediaDep) -> list[ObjectAuthors]:
    """Per object of the item: who created it and who last changed it (a prompt or a mask)."""
    rows = session.exec(
        select(HistoryEvent)
        .where(HistoryEvent.media_id == media.id, col(HistoryEvent.object_id).is_not(None))
        .order_by(col(HistoryEvent.id))
    )
    authors: dict[int, ObjectAuthors] = {}
    for h in rows:
        assert h.object_id is not None
        entry = authors.setdefault(
            h.object_id,
            ObjectAuthors(object_id=h.object_id, created_by=None, last_changed_by=None, last_changed_at=None),
        )
        if h.action == "object.create":
            entry.created_by = h.username
        entry.last_changed_by, entry.last_changed_at = h.username, h.created_at
    return sorted(authors.values(), key=lambda a: a.object_id)
