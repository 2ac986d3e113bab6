"""Dependencies as Annotated aliases, so routes read ``def f(*, session: SessionDep, ...)``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from video_seg_backend.core.config import Settings
from video_seg_backend.core.state import AppState
from video_seg_backend.models import Int, Media, Project, TrackedObject


def get_state(request: Request) -> AppState:
    return request.app.state.studio  # type: ignore[no-any-return]


StateDep = Annotated[AppState, Depends(get_state)]


def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


def get_session(state: StateDep) -> Iterator[Session]:
    with Session(state.db) as session:
        yield session


def get_registry(state: StateDep) -> Any:
    return state.registry


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
RegistryDep = Annotated[Any, Depends(get_registry)]


def get_project(project_id: Int, session: SessionDep) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise HTTPException(status_code=404, detail="Project not found")
    return project


ProjectDep = Annotated[Project, Depends(get_project)]


def get_media(media_id: Int, project: ProjectDep, session: SessionDep) -> Media:
    media = session.get(Media, media_id)
    if media is None or media.project_id != project.id:
        raise HTTPException(status_code=404, detail="Media not found")
    return media


MediaDep = Annotated[Media, Depends(get_media)]


def get_ready_media(media: MediaDep) -> Media:
    if media.status != "ready":
        raise HTTPException(
            status_code=409,
            detail=f"Media is {media.status.value}"
            + (f": {media.error}" if media.error else "; try again when it is ready"),
        )
    return media


ReadyMediaDep = Annotated[Media, Depends(get_ready_media)]


def get_object(object_id: Int, media: MediaDep, session: SessionDep) -> TrackedObject:
    obj = session.get(TrackedObject, object_id)
    if obj is None or obj.media_id != media.id:
        raise HTTPException(status_code=404, detail="Object not found")
    return obj


ObjectDep = Annotated[TrackedObject, Depends(get_object)]
