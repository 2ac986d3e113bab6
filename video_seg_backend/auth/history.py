"""Attribution: every write of a prompt, mask, object or job made during a request is recorded
with who made it, by a session listener, so the services need no user argument.

Writes outside a request (a tracking job's frames, written by the worker) are not recorded one by
one: the job itself is, with who started it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import col

from video_seg_backend.auth.principal import Principal, current_principal
from video_seg_backend.models import Annotation, HistoryEvent, Job, Media, Prompt, TrackedObject, utcnow

_KINDS: dict[type, str] = {Prompt: "prompt", Annotation: "mask", TrackedObject: "object", Job: "job"}


def _row(principal: Principal, action: str, **fields: Any) -> dict[str, Any]:
    return {
        "user_id": principal.id,
        "username": principal.username,
        "action": action,
        "created_at": utcnow(),
        "project_id": None,
        "media_id": None,
        "object_id": None,
        "job_id": None,
        "frame_index": None,
        "detail": None,
        **fields,
    }


def _describe(obj: Any, verb: str, principal: Principal) -> dict[str, Any]:
    kind = _KINDS[type(obj)]
    if isinstance(obj, Job):
        return _row(
            principal, f"job.{verb}", project_id=obj.project_id, media_id=obj.media_id, job_id=obj.id,
            detail=obj.kind.value if hasattr(obj.kind, "value") else str(obj.kind),
        )  # fmt: skip
    if isinstance(obj, TrackedObject):
        return _row(principal, f"object.{verb}", media_id=obj.media_id, object_id=obj.id)
    return _row(
        principal, f"{kind}.{verb}", media_id=obj.media_id, object_id=obj.object_id, frame_index=obj.frame_index
    )


def _after_flush(session: OrmSession, _context: Any) -> None:
    principal = current_principal.get()
    if principal is None:
        return
    rows: list[dict[str, Any]] = []
    for objects, verb in ((session.new, "create"), (session.dirty, "update"), (session.deleted, "delete")):
        for obj in objects:
            if type(obj) not in _KINDS or (verb == "update" and not session.is_modified(obj)):
                continue
            if isinstance(obj, Job) and verb == "update":
                continue  # progress and status changes are the worker's, not a person's
            rows.append(_describe(obj, verb, principal))
    if not rows:
        return
    connection = session.connection()
    media_ids = {r["media_id"] for r in rows if r["media_id"] is not None and r["project_id"] is None}
    found = connection.execute(select(col(Media.id), col(Media.project_id)).where(col(Media.id).in_(media_ids)))
    projects = {media_id: project_id for media_id, project_id in found}
    for r in rows:
        if r["project_id"] is None:
            r["project_id"] = projects.get(r["media_id"])
    connection.execute(insert(HistoryEvent), rows)


def record(session: OrmSession, action: str, **fields: Any) -> None:
    """Record an action that is not a row write (a review decision), attributed to the caller."""
    principal = current_principal.get()
    if principal is None:
        return
    session.add(HistoryEvent(**_row(principal, action, **fields)))


def install() -> None:
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)
