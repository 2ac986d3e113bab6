"""Dependencies as Annotated aliases, so routes read ``def f(*, session: SessionDep, ...)``.

Each long-lived part of the app is its own dependency, typed by its class: a route names what it
uses, and a test overrides just that part with ``app.dependency_overrides``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from video_seg_backend.api.state import AppState
from video_seg_backend.auth.access import authorize, bind
from video_seg_backend.auth.principal import Principal
from video_seg_backend.core.config import Settings
from video_seg_backend.engine.registry import ModelRegistry
from video_seg_backend.events import EventBus
from video_seg_backend.jobs.worker import JobWorker
from video_seg_backend.models import Int, Media, Project, TrackedObject
from video_seg_backend.services.ingest import IngestService
from video_seg_backend.services.segmentation import SegmentationService
from video_seg_backend.storage.files import StorageLayout


def _state(request: Request) -> AppState:
    return request.app.state.studio  # type: ignore[no-any-return]


def get_settings_dep(request: Request) -> Settings:
    return _state(request).settings


def get_db(request: Request) -> Engine:
    return _state(request).db


def get_storage(request: Request) -> StorageLayout:
    return _state(request).storage


def get_events(request: Request) -> EventBus:
    return _state(request).events


def get_worker(request: Request) -> JobWorker:
    return _state(request).worker


def get_ingest(request: Request) -> IngestService:
    return _state(request).ingest


def get_registry(request: Request) -> ModelRegistry:
    return _state(request).registry


def get_segmentation(request: Request) -> SegmentationService:
    return _state(request).segmentation


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DbDep = Annotated[Engine, Depends(get_db)]
StorageDep = Annotated[StorageLayout, Depends(get_storage)]
EventsDep = Annotated[EventBus, Depends(get_events)]
WorkerDep = Annotated[JobWorker, Depends(get_worker)]
IngestDep = Annotated[IngestService, Depends(get_ingest)]
RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]
SegmentationDep = Annotated[SegmentationService, Depends(get_segmentation)]


def get_session(db: DbDep) -> Iterator[Session]:
    with Session(db) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(request: Request, db: DbDep, settings: SettingsDep) -> Principal:
    # A session of its own, closed before the route runs: a yield dependency's session would stay
    # checked out for a whole event stream, and twenty open streams drain the connection pool.
    with Session(db) as session:
        return authorize(request, session, settings)


async def get_current_user(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    # Async so that it runs in the request's own task: the principal it binds for the history
    # writer is then seen by the route, which runs in a copy of that context.
    bind(principal)
    return principal


CurrentUserDep = Annotated[Principal, Depends(get_current_user)]


def require_admin(user: CurrentUserDep) -> Principal:
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="Only an admin can do this")
    return user


AdminDep = Annotated[Principal, Depends(require_admin)]


def require_signed_in(user: CurrentUserDep) -> Principal:
    """A real account (not the implicit local user): signing out or changing a password needs one."""
    if user.id is None:
        raise HTTPException(status_code=401, detail="Not signed in", headers={"WWW-Authenticate": "Bearer"})
    return user


SignedInDep = Annotated[Principal, Depends(require_signed_in)]


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
