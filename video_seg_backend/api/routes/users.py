"""Accounts and project membership, managed by an admin."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from video_seg_backend.api.deps import AdminDep, ProjectDep, SessionDep
from video_seg_backend.auth.passwords import hash_password
from video_seg_backend.auth.schemas import MemberPublic, UserCreate, UserPublic, UserUpdate
from video_seg_backend.auth.users import create_user, invalidate_tokens
from video_seg_backend.models import Int, ProjectMember, Role, User

router = APIRouter(tags=["users"])


def _user(session: SessionDep, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user


@router.get("/users", response_model=list[UserPublic])
def list_users(*, session: SessionDep, _admin: AdminDep) -> list[User]:
    """Every account, oldest first."""
    return list(session.exec(select(User).order_by(col(User.id))))


@router.post("/users", response_model=UserPublic, status_code=201)
def add_user(*, session: SessionDep, _admin: AdminDep, body: UserCreate) -> User:
    """Create an account with a role (admin, annotator or reviewer)."""
    try:
        return create_user(session, body.username, body.password, body.role, body.full_name)
    except IntegrityError:
        session.rollback()
        raise HTTPException(status_code=409, detail=f"The user name {body.username!r} is taken") from None


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(*, session: SessionDep, admin: AdminDep, user_id: Int, body: UserUpdate) -> User:
    """Change a role, disable or enable an account, or set a new password."""
    user = _user(session, user_id)
    changes = body.model_dump(exclude_unset=True)
    if user.id == admin.id and (changes.get("is_active") is False or changes.get("role", Role.admin) != Role.admin):
        raise HTTPException(status_code=409, detail="An admin cannot disable or demote their own account")
    if "role" in changes:
        user.role = Role(changes["role"]).value
    if "full_name" in changes:
        user.full_name = changes["full_name"]
    if "is_active" in changes:
        if user.is_active and not changes["is_active"]:
            invalidate_tokens(session, user)
        user.is_active = changes["is_active"]
    if changes.get("password") is not None:
        user.hashed_password = hash_password(changes["password"])
        invalidate_tokens(session, user)
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


@router.get("/projects/{project_id}/members", response_model=list[MemberPublic])
def list_members(*, session: SessionDep, project: ProjectDep) -> list[MemberPublic]:
    """Who works on the project."""
    rows = session.exec(
        select(User).join(ProjectMember, col(ProjectMember.user_id) == col(User.id))
        .where(ProjectMember.project_id == project.id).order_by(col(User.username))
    )  # fmt: skip
    return [
        MemberPublic(user_id=u.id or 0, username=u.username, full_name=u.full_name, role=Role(u.role)) for u in rows
    ]


@router.put("/projects/{project_id}/members/{user_id}", status_code=204)
def add_member(*, session: SessionDep, _admin: AdminDep, project: ProjectDep, user_id: Int) -> None:
    """Give a user access to the project (idempotent)."""
    _user(session, user_id)
    assert project.id is not None
    if session.get(ProjectMember, (project.id, user_id)) is None:
        session.add(ProjectMember(project_id=project.id, user_id=user_id))
        session.commit()


@router.delete("/projects/{project_id}/members/{user_id}", status_code=204)
def remove_member(*, session: SessionDep, _admin: AdminDep, project: ProjectDep, user_id: Int) -> None:
    """Take a user's access to the project away; their work stays."""
    member = session.get(ProjectMember, (project.id, user_id))
    if member is not None:
        session.delete(member)
        session.commit()
