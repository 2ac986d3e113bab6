from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, HTTPException
from sqlmodel import col, func, select

from video_seg_backend.api.deps import EventsDep, MediaDep, ObjectDep, SegmentationDep, SessionDep
from video_seg_backend.api.routes.labels import label_in_project
from video_seg_backend.events import EventBus, ObjectsUpdated
from video_seg_backend.models import Media, ObjectCreate, ObjectPublic, ObjectUpdate, TrackedObject
from video_seg_backend.services.crud import objects_public
from video_seg_backend.services.parts import PartError, check_part, check_relabel

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
    for if no object of the media item has it (undoing a deletion brings the object back as it was).
    With ``parent_id`` and ``part``: a part region of that object, with the parent's label."""
    if body.parent_id is not None:
        try:
            label_id = check_part(session, media.id or 0, body.parent_id, body.part, body.label_id).id or 0
        except PartError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
    elif body.part is not None:
        raise HTTPException(status_code=422, detail="part names a part region: give its parent_id too")
    elif body.label_id is None:
        raise HTTPException(status_code=422, detail="label_id is required (only a part takes its parent's label)")
    else:
        label_id = label_in_project(session, media.project_id, body.label_id).id or 0
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
    obj = TrackedObject(media_id=media.id or 0, label_id=label_id, name=body.name, track_id=track_id,
                        parent_id=body.parent_id, part=body.part)  # fmt: skip
    session.add(obj)
    session.commit()
    session.refresh(obj)
    publish_objects_updated(events, media, [obj.id or 0])
    return object_public(session, obj)


@router.patch("/{object_id}", response_model=ObjectPublic)
def update_object(
    *, session: SessionDep, events: EventsDep, media: MediaDep, obj: ObjectDep, body: ObjectUpdate
) -> ObjectPublic:
    """Relabel or rename an object; its parts take the new label with it."""
    parts: list[TrackedObject] = []
    if body.label_id is not None:
        label_in_project(session, media.project_id, body.label_id)
        try:
            parts = check_relabel(session, obj, body.label_id)
        except PartError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from exc
    obj.sqlmodel_update(body.model_dump(exclude_unset=True))
    session.add(obj)
    for part in parts:
        part.label_id = obj.label_id
        session.add(part)
    session.commit()
    session.refresh(obj)
    publish_objects_updated(events, media, [obj.id or 0, *(p.id or 0 for p in parts)])
    return object_public(session, obj)


@router.delete("/{object_id}", status_code=204)
def delete_object(
    *, session: SessionDep, events: EventsDep, segmentation: SegmentationDep, media: MediaDep, obj: ObjectDep
) -> None:
    """Delete an object with its prompts and masks, and its parts with theirs."""
    object_id = obj.id or 0
    gone = [object_id, *session.exec(select(TrackedObject.id).where(TrackedObject.parent_id == object_id))]
    session.delete(obj)  # the parts go with it (object.parent_id: ON DELETE CASCADE)
    session.commit()
    segmentation.forget_media(media.id or 0)
    segmentation.publish_updated(media, gone, [0, max(0, media.num_frames - 1)])
    publish_objects_updated(events, media, gone)
