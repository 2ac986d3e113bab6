"""Review lock: an item under review (one of its assignments is submitted) is read-only for
everyone but its annotators and admins, so a reviewer cannot change the work being judged.

The rule is on the path, before any route runs: every write below
``/projects/{project_id}/media/{media_id}`` (objects, prompts, masks, imports, tracking, the
item itself, and what other modules add there later) and a tracking job's undo/redo on such an
item. The review's own actions (assignments, comments, the consensus and action-label merges) stay open
to reviewers.
"""

from __future__ import annotations

from sqlmodel import Session, select

from video_seg_backend.auth.principal import Principal
from video_seg_backend.models import Assignment, AssignmentState, Job

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
MEDIA_PATH = "/projects/{project_id}/media/{media_id}"
# Below the item: the reviewer's own work, not the annotation under review.
REVIEW_ACTIONS = (f"{MEDIA_PATH}/assignments", f"{MEDIA_PATH}/consensus", f"{MEDIA_PATH}/action-agreement")
JOB_EDITS = {"/jobs/{job_id}/undo", "/jobs/{job_id}/redo"}
UNDER_REVIEW = "This item is under review: only its annotators and admins can change it"


def locked_media(session: Session, method: str, template: str, path_ids: dict[str, int | None]) -> int | None:
    """The media item a write request changes, when the lock applies to that request at all."""
    if method not in WRITES:
        return None
    if template == MEDIA_PATH or (template.startswith(MEDIA_PATH + "/") and not template.startswith(REVIEW_ACTIONS)):
        return path_ids.get("media_id")
    if template in JOB_EDITS and path_ids.get("job_id") is not None:
        job = session.get(Job, path_ids["job_id"])
        return job.media_id if job is not None else None
    return None


def may_change(session: Session, principal: Principal, media_id: int) -> bool:
    """Admins always; otherwise anyone while no assignment of the item is submitted, and its own
    annotators (whoever holds an assignment on it) while one is."""
    if principal.is_admin:
        return True
    states = session.exec(select(Assignment.user_id, Assignment.state).where(Assignment.media_id == media_id)).all()
    if not any(state == AssignmentState.submitted.value for _, state in states):
        return True
    return any(user_id == principal.id for user_id, _ in states)
