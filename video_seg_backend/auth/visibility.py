"""Independent replicas: an annotator assigned an item as a replica sees only their own objects
on it (and their masks and prompts), so that the agreement measured later is not copied.

One session listener adds the filter to every ORM query made while such an annotator's request
runs; the routes and services are unchanged and a hidden object answers like a missing one.
"""

from __future__ import annotations

from sqlalchemy import and_, event, or_
from sqlalchemy.orm import ORMExecuteState, Session, aliased, with_loader_criteria
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, select

from video_seg_backend.auth.principal import current_principal
from video_seg_backend.models import Annotation, Assignment, HistoryEvent, Prompt, Role, TrackedObject


def hidden_objects(user_id: int):  # type: ignore[no-untyped-def]
    """Objects another person created on an item this user works on as a replica."""
    mine = aliased(Assignment)
    return (
        select(col(HistoryEvent.object_id))
        .join(
            mine,
            and_(col(mine.media_id) == col(HistoryEvent.media_id), col(mine.user_id) == user_id, col(mine.replica)),
        )
        .where(
            HistoryEvent.action == "object.create",
            col(HistoryEvent.object_id).is_not(None),
            or_(col(HistoryEvent.user_id).is_(None), col(HistoryEvent.user_id) != user_id),
        )
    )


_FILTERED = (TrackedObject, Annotation, Prompt)


def _only_own_replica(state: ORMExecuteState) -> None:
    if not state.is_select or state.is_column_load or state.is_relationship_load:
        return
    principal = current_principal.get()
    if principal is None or principal.id is None or principal.role != Role.annotator:
        return  # reviewers and admins see every replica: they compare and merge them
    # Rows and their columns, not aggregates: the next free track id still counts every object,
    # so that track ids stay unique on the item.
    descriptions = getattr(state.statement, "column_descriptions", [])
    if not any(d.get("entity") in _FILTERED and not isinstance(d.get("expr"), FunctionElement) for d in descriptions):
        return
    hidden = hidden_objects(principal.id)
    state.statement = state.statement.options(
        with_loader_criteria(TrackedObject, col(TrackedObject.id).not_in(hidden), include_aliases=True),
        with_loader_criteria(Annotation, col(Annotation.object_id).not_in(hidden), include_aliases=True),
        with_loader_criteria(Prompt, col(Prompt.object_id).not_in(hidden), include_aliases=True),
    )


def install() -> None:
    if not event.contains(Session, "do_orm_execute", _only_own_replica):
        event.listen(Session, "do_orm_execute", _only_own_replica)
