"""Database helpers for accounts and project membership."""

from __future__ import annotations

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from video_seg_backend.auth.passwords import hash_password
from video_seg_backend.auth.principal import Principal
from video_seg_backend.models import Project, ProjectMember, Role, User


def user_by_name(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(col(User.username) == username.strip().lower())).first()


def create_user(
    session: Session, username: str, password: str, role: Role = Role.annotator, full_name: str | None = None
) -> User:
    user = User(
        username=username.strip().lower(), full_name=full_name, role=role.value, hashed_password=hash_password(password)
    )
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


def invalidate_tokens(session: Session, user: User) -> None:
    user.token_version += 1
    session.add(user)


def member_project_ids(session: Session, user_id: int) -> set[int]:
    return set(session.exec(select(ProjectMember.project_id).where(ProjectMember.user_id == user_id)))


def is_member(session: Session, project_id: int, user_id: int) -> bool:
    return session.get(ProjectMember, (project_id, user_id)) is not None


def visible_projects(user: Principal) -> SelectOfScalar[Project]:
    """The projects a user may see: all for an admin, their memberships for anyone else."""
    query = select(Project)
    if not user.is_admin:
        query = query.join(ProjectMember, col(ProjectMember.project_id) == col(Project.id)).where(
            ProjectMember.user_id == user.id
        )
    return query
