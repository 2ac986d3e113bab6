"""Assignments of media items to annotators, and their review: new -> in_progress -> submitted ->
accepted, or rejected with a comment on a frame -> in_progress again."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlmodel import Session, col, select

from video_seg_backend.api.deps import CurrentUserDep, MediaDep, ProjectDep, SessionDep
from video_seg_backend.auth.history import record
from video_seg_backend.auth.principal import Principal
from video_seg_backend.auth.schemas_review import (
    AnnotatorProgress,
    AssignmentCreate,
    AssignmentPublic,
    CommentCreate,
    CommentPublic,
    ReviewDecision,
)
from video_seg_backend.auth.users import is_member
from video_seg_backend.models import (
    Assignment,
    AssignmentState,
    Int,
    Project,
    ReviewComment,
    Role,
    User,
    utcnow,
)

router = APIRouter(tags=["assignments"])
S = AssignmentState
# (action, states it may start from, state it leads to, who may do it)
TRANSITIONS: dict[str, tuple[set[AssignmentState], AssignmentState, str]] = {
    "start": ({S.new, S.rejected, S.in_progress}, S.in_progress, "assignee"),
    "submit": ({S.in_progress}, S.submitted, "assignee"),
    "accept": ({S.submitted}, S.accepted, "reviewer"),
    "reject": ({S.submitted}, S.rejected, "reviewer"),
}


def _is_reviewer(user: Principal) -> bool:
    return user.role in (Role.reviewer, Role.admin)


def _public(session: Session, a: Assignment) -> AssignmentPublic:
    user = session.get(User, a.user_id)
    return AssignmentPublic.model_validate(a, update={"username": user.username if user else "?"})


def _get(session: Session, project: Project, user: Principal, assignment_id: int) -> Assignment:
    a = session.get(Assignment, assignment_id)
    # Another annotator's assignment answers as a missing one: its existence is not theirs to know.
    if a is None or a.project_id != project.id or not (_is_reviewer(user) or a.user_id == user.id):
        raise HTTPException(status_code=404, detail="Assignment not found")
    return a


@router.post(
    "/projects/{project_id}/media/{media_id}/assignments", response_model=list[AssignmentPublic], status_code=201
)
def assign(
    *, session: SessionDep, user: CurrentUserDep, media: MediaDep, body: AssignmentCreate
) -> list[AssignmentPublic]:
    """Assign the item to annotators (reviewers and admins); an existing assignment is kept."""
    if not _is_reviewer(user):
        raise HTTPException(status_code=403, detail="Only a reviewer or an admin can assign work")
    created = []
    for user_id in dict.fromkeys(body.user_ids):
        assignee = session.get(User, user_id)
        if assignee is None or not (assignee.role == Role.admin or is_member(session, media.project_id, user_id)):
            raise HTTPException(status_code=409, detail=f"User {user_id} is not a member of this project")
        existing = session.exec(
            select(Assignment).where(Assignment.media_id == media.id, Assignment.user_id == user_id)
        ).first()
        if existing is None:
            existing = Assignment(
                project_id=media.project_id, media_id=media.id or 0, user_id=user_id, replica=body.replica
            )
            session.add(existing)
            record(
                session, "assignment.create", project_id=media.project_id, media_id=media.id, detail=assignee.username
            )
        created.append(existing)
    session.commit()
    return [_public(session, a) for a in created]


@router.get("/projects/{project_id}/assignments", response_model=list[AssignmentPublic])
def list_assignments(
    *, session: SessionDep, user: CurrentUserDep, project: ProjectDep,
    state: AssignmentState | None = None, media_id: Int | None = None, mine: bool = False,
) -> list[AssignmentPublic]:  # fmt: skip
    """An annotator's queue (their own assignments), or for a reviewer every assignment, e.g. with
    ``state=submitted`` what waits for review."""
    query = select(Assignment).where(Assignment.project_id == project.id)
    if mine or not _is_reviewer(user):
        query = query.where(Assignment.user_id == user.id)
    if state is not None:
        query = query.where(Assignment.state == state.value)
    if media_id is not None:
        query = query.where(Assignment.media_id == media_id)
    return [_public(session, a) for a in session.exec(query.order_by(col(Assignment.id)))]


@router.get("/projects/{project_id}/assignments/{assignment_id}", response_model=AssignmentPublic)
def get_assignment(
    *, session: SessionDep, user: CurrentUserDep, project: ProjectDep, assignment_id: Int
) -> AssignmentPublic:
    """One assignment."""
    return _public(session, _get(session, project, user, assignment_id))


def _transition(
    session: Session, user: Principal, project: Project, assignment_id: int, action: str, decision: ReviewDecision
) -> AssignmentPublic:
    a = _get(session, project, user, assignment_id)
    sources, target, actor = TRANSITIONS[action]
    if actor == "assignee" and a.user_id != user.id:
        raise HTTPException(status_code=403, detail=f"Only the assignee can {action} this assignment")
    if actor == "reviewer" and not _is_reviewer(user):
        raise HTTPException(status_code=403, detail=f"Only a reviewer or an admin can {action} this assignment")
    if AssignmentState(a.state) not in sources:
        raise HTTPException(status_code=409, detail=f"Cannot {action} an assignment that is {a.state}")
    if action == "reject" and decision.comment is None:
        raise HTTPException(status_code=422, detail="comment: a rejection says what to fix")
    a.state, a.updated_at = target.value, utcnow()
    session.add(a)
    if decision.comment is not None:
        session.add(
            ReviewComment(
                assignment_id=a.id or 0, author_id=user.id, frame_index=decision.frame_index, text=decision.comment
            )
        )
    record(
        session, f"review.{action}", project_id=project.id, media_id=a.media_id, frame_index=decision.frame_index,
        detail=decision.comment,
    )  # fmt: skip
    session.commit()
    session.refresh(a)
    return _public(session, a)


@router.post("/projects/{project_id}/assignments/{assignment_id}/start", response_model=AssignmentPublic)
def start(*, session: SessionDep, user: CurrentUserDep, project: ProjectDep, assignment_id: Int) -> AssignmentPublic:
    """Begin (or after a rejection, resume) work on an assignment."""
    return _transition(session, user, project, assignment_id, "start", ReviewDecision())


@router.post("/projects/{project_id}/assignments/{assignment_id}/submit", response_model=AssignmentPublic)
def submit(*, session: SessionDep, user: CurrentUserDep, project: ProjectDep, assignment_id: Int) -> AssignmentPublic:
    """Hand the work in for review."""
    return _transition(session, user, project, assignment_id, "submit", ReviewDecision())


@router.post("/projects/{project_id}/assignments/{assignment_id}/accept", response_model=AssignmentPublic)
def accept(
    *,
    session: SessionDep,
    user: CurrentUserDep,
    project: ProjectDep,
    assignment_id: Int,
    body: ReviewDecision | None = None,
) -> AssignmentPublic:
    """Accept submitted work (reviewers and admins), with an optional comment."""
    return _transition(session, user, project, assignment_id, "accept", body or ReviewDecision())


@router.post("/projects/{project_id}/assignments/{assignment_id}/reject", response_model=AssignmentPublic)
def reject(
    *, session: SessionDep, user: CurrentUserDep, project: ProjectDep, assignment_id: Int, body: ReviewDecision
) -> AssignmentPublic:
    """Send submitted work back with a comment (on a frame, when ``frame_index`` is given)."""
    return _transition(session, user, project, assignment_id, "reject", body)


@router.delete("/projects/{project_id}/assignments/{assignment_id}", status_code=204)
def unassign(*, session: SessionDep, user: CurrentUserDep, project: ProjectDep, assignment_id: Int) -> None:
    """Withdraw an assignment (reviewers and admins); the annotations made stay."""
    a = _get(session, project, user, assignment_id)
    if not _is_reviewer(user):
        raise HTTPException(status_code=403, detail="Only a reviewer or an admin can withdraw an assignment")
    session.delete(a)
    session.commit()


@router.get("/projects/{project_id}/assignments/{assignment_id}/comments", response_model=list[CommentPublic])
def list_comments(
    *, session: SessionDep, user: CurrentUserDep, project: ProjectDep, assignment_id: Int
) -> list[CommentPublic]:
    """The review conversation of an assignment, oldest first."""
    a = _get(session, project, user, assignment_id)
    rows = session.exec(
        select(ReviewComment).where(ReviewComment.assignment_id == a.id).order_by(col(ReviewComment.id))
    )
    return [_comment(session, c) for c in rows]


@router.post(
    "/projects/{project_id}/assignments/{assignment_id}/comments", response_model=CommentPublic, status_code=201
)
def add_comment(
    *, session: SessionDep, user: CurrentUserDep, project: ProjectDep, assignment_id: Int, body: CommentCreate
) -> CommentPublic:
    """Comment on an assignment, on a frame when ``frame_index`` is given."""
    a = _get(session, project, user, assignment_id)
    comment = ReviewComment(assignment_id=a.id or 0, author_id=user.id, frame_index=body.frame_index, text=body.text)
    session.add(comment)
    record(session, "review.comment", project_id=project.id, media_id=a.media_id, frame_index=body.frame_index)
    session.commit()
    session.refresh(comment)
    return _comment(session, comment)


def _comment(session: Session, c: ReviewComment) -> CommentPublic:
    author = session.get(User, c.author_id) if c.author_id is not None else None
    return CommentPublic(
        id=c.id or 0, assignment_id=c.assignment_id, author=author.username if author else None,
        frame_index=c.frame_index, text=c.text, created_at=c.created_at,
    )  # fmt: skip


@router.get("/projects/{project_id}/progress", response_model=list[AnnotatorProgress])
def progress(*, session: SessionDep, project: ProjectDep) -> list[AnnotatorProgress]:
    """Assignments per annotator and state: the dashboard's progress table."""
    by_user: dict[int, AnnotatorProgress] = {}
    for a in session.exec(select(Assignment).where(Assignment.project_id == project.id)):
        row = by_user.get(a.user_id)
        if row is None:
            u = session.get(User, a.user_id)
            row = by_user[a.user_id] = AnnotatorProgress(
                user_id=a.user_id, username=u.username if u else "?", counts={s: 0 for s in AssignmentState}, total=0
            )
        row.counts[AssignmentState(a.state)] += 1
        row.total += 1
    return sorted(by_user.values(), key=lambda r: r.username)
