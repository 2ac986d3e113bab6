from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, HTTPException
from sqlmodel import col, func, select

from video_seg_backend.api.deps import EventsDep, MediaDep, ObjectDep, SegmentationDep, SessionDep
from video_seg_backend.api.routes.labels import label_in_project
from video_seg_backend.events import EventBus, ObjectsUpdated
from video_seg_backend.models import Media, ObjectCreate, ObjectPublic, ObjectUpdate, TrackedObject
from video_seg_backend.services.crud import objects_public

router = APIRouter(prefix="/projects/{project_id}/media/{media_id}/objects", tags=["objects"])


def object_public(session: SessionDep, obj: TrackedObject) -> ObjectPublic:
    return objects_public(session, obj.media_id, [obj])[0]


def publish_objects_updated(events: EventBus, media: Media, object_ids: Sequence[int]) -> None:
    """A studio with this media item open in another tab re-reads its object list."""
    events.publish(media.project_id, ObjectsUpdated(media_id=media.id or 0, object_ids=list(object_ids)))


@router.get("", response_model=list[ObjectPublic])
def list_objects(*, session: SessionDep, media: MediaDep) -> list[ObjectPublic]:
    """List the objects (tracked instances) of a media item."""
    rows = session.exec(
        select(TrackedObject).where(TrackedObject.media_id == media.id).order_by(col(TrackedObject.track_id))
    ).all()
    return objects_public(session, media.id or 0, rows)


@router.post("", response_model=ObjectPublic, status_code=201)
def create_object(*, session: SessionDep, events: EventsDep, media: MediaDep, body: ObjectCreate) -> ObjectPublic:
    """Create an object with a label; it gets the next track id of the media item, or the one asked
    for if no object of the media item has it (undoing a deletion brings the object back as it was)."""
    label_in_project(session, media.project_id, body.label_id)
    if body.track_id is not None:
        used = session.exec(
            select(TrackedObject.id).where(TrackedObject.media_id == media.id, TrackedObject.track_id == body.track_id)
        ).first()
        if used is not None:
            raise HTTPException(
                status_code=409, detail=f"Track id {body.track_id} is already used by another object of this media"
            )
        track_id = body.track_id
    else:
        last = session.exec(select(func.max(TrackedObject.track_id)).where(TrackedObject.media_id == media.id)).one()
        track_id = (last or 0) + 1
    obj = TrackedObject(media_id=media.id or 0, label_id=body.label_id, name=body.name, track_id=track_id)
    session.add(obj)
    session.commit()
    session.refresh(obj)
    publish_objects_updated(events, media, [obj.id or 0])
    return object_public(session, obj)


@router.patch("/{object_id}", response_model=ObjectPublic)
def update_object(
    *, session: SessionDep, events: EventsDep, media: MediaDep, obj: ObjectDep, body: ObjectUpdate
) -> ObjectPublic:
    """Relabel or rename an object."""
    if body.label_id is not None:
        label_in_project(session, media.project_id, body.label_id)
    obj.sqlmodel_update(body.model_dump(exclude_unset=True))
    session.add(obj)
    session.commit()
    session.refresh(obj)
    publish_objects_updated(events, media, [obj.id or 0])
    return object_public(session, obj)


@router.delete("/{object_id}", status_code=204)
def delete_object(
    *, session: SessionDep, events: EventsDep, segmentation: SegmentationDep, media: MediaDep, obj: ObjectDep
) -> None:
    """Delete an object with its prompts and masks."""
    object_id = obj.id or 0
    session.delete(obj)
    session.commit()
    segmentation.forget_media(media.id or 0)
    segmentation.publish_updated(media, [object_id], [0, max(0, media.num_frames - 1)])
    publish_objects_updated(events, media, [object_id])
