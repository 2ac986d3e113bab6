from __future__ import annotations

from fastapi import APIRouter
from sqlmodel import col, func, select

from video_seg_backend.api.deps import (
    CurrentUserDep,
    EventsDep,
    ProjectDep,
    SegmentationDep,
    SessionDep,
    StorageDep,
    WorkerDep,
)
from video_seg_backend.auth.users import visible_projects
from video_seg_backend.models import Label, Media, Project, ProjectCreate, ProjectPublic, ProjectUpdate
from video_seg_backend.storage.files import remove_tree

router = APIRouter(prefix="/projects", tags=["projects"])


def _public(session: SessionDep, project: Project) -> ProjectPublic:
    media_count = session.exec(select(func.count()).select_from(Media).where(Media.project_id == project.id)).one()
    label_count = session.exec(select(func.count()).select_from(Label).where(Label.project_id == project.id)).one()
    return ProjectPublic.model_validate(project, update={"media_count": media_count, "label_count": label_count})


@router.get("", response_model=list[ProjectPublic])
def list_projects(*, session: SessionDep, user: CurrentUserDep) -> list[ProjectPublic]:
    """List projects, newest first (those the user is a member of, all for an admin)."""
    projects = session.exec(visible_projects(user).order_by(col(Project.id).desc())).all()
    return [_public(session, p) for p in projects]


@router.post("", response_model=ProjectPublic, status_code=201)
def create_project(*, session: SessionDep, body: ProjectCreate) -> ProjectPublic:
    """Create a project of images or of videos."""
    project = Project.model_validate(body)
    session.add(project)
    session.commit()
    session.refresh(project)
    return _public(session, project)


@router.get("/{project_id}", response_model=ProjectPublic)
def get_project(*, session: SessionDep, project: ProjectDep) -> ProjectPublic:
    """Read one project."""
    return _public(session, project)


@router.patch("/{project_id}", response_model=ProjectPublic)
def update_project(*, session: SessionDep, project: ProjectDep, body: ProjectUpdate) -> ProjectPublic:
    """Rename a project."""
    project.sqlmodel_update(body.model_dump(exclude_unset=True))
    session.add(project)
    session.commit()
    session.refresh(project)
    return _public(session, project)


@router.delete("/{project_id}", status_code=204)
def delete_project(
    *,
    session: SessionDep,
    worker: WorkerDep,
    segmentation: SegmentationDep,
    storage: StorageDep,
    events: EventsDep,
    project: ProjectDep,
) -> None:
    """Delete a project with all its media, masks and files."""
    assert project.id is not None
    project_id = project.id
    media_ids = [m for m in session.exec(select(Media.id).where(Media.project_id == project_id)) if m is not None]
    for media_id in media_ids:
        worker.cancel_media_jobs(media_id)
    session.delete(project)
    session.commit()
    for media_id in media_ids:
        segmentation.forget_media(media_id)
    remove_tree(storage.project_dir(project_id))
    events.forget_project(project_id)
