"""The one place that decides access: every API router runs ``authorize`` before its route.

It resolves the principal (bearer header or the HttpOnly cookie; never a URL parameter, so no
token reaches a log), then checks the ids in the path: a project the user is not a member of,
and a job of someone else, answer the same 404 as one that does not exist.
"""

from __future__ import annotations

from fastapi import HTTPException, Request
from sqlmodel import Session, col, select

from video_seg_backend.auth.mode import auth_required
from video_seg_backend.auth.principal import ANONYMOUS, LOCAL_USER, Principal, current_principal
from video_seg_backend.auth.review_lock import UNDER_REVIEW, locked_media, may_change
from video_seg_backend.auth.tokens import COOKIE_NAME, decode_access_token, secret_key
from video_seg_backend.auth.users import is_member
from video_seg_backend.core.config import Settings
from video_seg_backend.models import HistoryEvent, Job, Role, User

API_PREFIX = "/api/v1"  # main.API_PREFIX; FastAPI may give route paths with or without it
PUBLIC = {("GET", "/health"), ("POST", "/auth/login"), ("GET", "/auth/mode")}
# Routes of the studio's own modules that only an admin may call once sign-in is on.
ADMIN_ONLY = {
    ("POST", "/projects"),
    ("PATCH", "/projects/{project_id}"),
    ("DELETE", "/projects/{project_id}"),
    ("POST", "/models/{key}/download"),
}
NOT_SIGNED_IN = "Not signed in"
BAD_TOKEN = "Invalid or expired token; sign in again"


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def request_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE_NAME) or None


def resolve_principal(request: Request, session: Session, settings: Settings) -> Principal:
    if not auth_required(settings, session):
        return LOCAL_USER
    token = request_token(request)
    if token is None:
        raise _unauthorized(NOT_SIGNED_IN)
    decoded = decode_access_token(secret_key(settings), token)
    user = session.get(User, decoded[0]) if decoded else None
    if decoded is None or user is None or not user.is_active or user.token_version != decoded[1]:
        raise _unauthorized(BAD_TOKEN)
    assert user.id is not None
    return Principal(id=user.id, username=user.username, role=Role(user.role))


def _path_int(request: Request, name: str) -> int | None:
    value = request.path_params.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None  # not a number: the route's own validation answers 422


def job_owner(session: Session, job_id: int) -> int | None:
    return session.exec(
        select(HistoryEvent.user_id).where(HistoryEvent.job_id == job_id, col(HistoryEvent.action) == "job.create")
    ).first()


def jobs_started_by(user_id: int):  # type: ignore[no-untyped-def]
    """The ids of the jobs a user started (a subquery)."""
    return select(HistoryEvent.job_id).where(HistoryEvent.user_id == user_id, col(HistoryEvent.action) == "job.create")


def check_path(request: Request, session: Session, principal: Principal) -> None:
    if principal.is_admin:
        return
    assert principal.id is not None
    project_id = _path_int(request, "project_id")
    if project_id is not None and not is_member(session, project_id, principal.id):
        raise HTTPException(status_code=404, detail="Project not found")
    job_id = _path_int(request, "job_id")
    job = session.get(Job, job_id) if job_id is not None else None
    if job is not None and job.id is not None:  # a missing job: the route's own 404
        member = job.project_id is not None and is_member(session, job.project_id, principal.id)
        own = job_owner(session, job.id) == principal.id
        if not member or not (own or principal.role == Role.reviewer):
            raise HTTPException(status_code=404, detail="Job not found")


def route_template(request: Request) -> str:
    """The matched route's path template below the API prefix (``/projects/{project_id}``)."""
    template = str(getattr(request.scope.get("route"), "path", request.url.path))
    return template.removeprefix(API_PREFIX)


def authorize(request: Request, session: Session, settings: Settings) -> Principal:
    key = (request.method, route_template(request))
    if key in PUBLIC:
        return _optional(request, session, settings)
    principal = resolve_principal(request, session, settings)
    check_path(request, session, principal)
    if key in ADMIN_ONLY and not principal.is_admin:
        raise HTTPException(status_code=403, detail="Only an admin can do this")
    ids = {name: _path_int(request, name) for name in ("media_id", "job_id")}
    media_id = locked_media(session, request.method, key[1], ids)
    if media_id is not None and not may_change(session, principal, media_id):
        raise HTTPException(status_code=403, detail=UNDER_REVIEW)
    return principal


def _optional(request: Request, session: Session, settings: Settings) -> Principal:
    """A public route still knows who asks when a valid token comes along (``/auth/mode``)."""
    try:
        return resolve_principal(request, session, settings)
    except HTTPException:
        return ANONYMOUS


def bind(principal: Principal) -> None:
    current_principal.set(principal)
