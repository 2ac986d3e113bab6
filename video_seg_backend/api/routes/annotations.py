from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlmodel import col, select

from video_seg_backend.api.deps import MediaDep, ReadyMediaDep, SegmentationDep, SessionDep
from video_seg_backend.models import (
    Annotation,
    AnnotationIn,
    AnnotationPublic,
    Int,
    ObjectFrames,
    TrackedObject,
)
from video_seg_backend.services.crud import KEY_MASK_SOURCES, annotation_public, key_frames_by_object, upsert_rle
from video_seg_backend.storage.masks import InvalidRLE, check_rle

router = APIRouter(prefix="/projects/{project_id}/media/{media_id}/annotations", tags=["annotations"])


@router.get("", response_model=list[AnnotationPublic])
def list_annotations(
    *,
    session: SessionDep,
    media: MediaDep,
    frame: Int | None = None,
    start: Int | None = None,
    end: Int | None = None,
    object_id: Int | None = None,
) -> list[AnnotationPublic]:
    """Masks as COCO RLE: one frame (``frame``), a range (``start``..``end`` inclusive) or all."""
    if frame is not None and (start is not None or end is not None):
        raise HTTPException(status_code=422, detail="Use either frame or start/end, not both")
    query = select(Annotation).where(Annotation.media_id == media.id)
    if frame is not None:
        query = query.where(Annotation.frame_index == frame)
    if start is not None:
        query = query.where(Annotation.frame_index >= start)
    if end is not None:
        query = query.where(Annotation.frame_index <= end)
    if object_id is not None:
        query = query.where(Annotation.object_id == object_id)
    rows = session.exec(query.order_by(col(Annotation.frame_index), col(Annotation.object_id))).all()
    return [annotation_public(a) for a in rows]


@router.get("/summary", response_model=list[ObjectFrames])
def annotation_summary(*, session: SessionDep, media: MediaDep) -> list[ObjectFrames]:
    """Per object: the frame ranges that hold a mask, each frame's mask area, and the key frames
    (no mask data: for timelines)."""
    rows = session.exec(
        select(Annotation.object_id, Annotation.frame_index, Annotation.area)
        .where(Annotation.media_id == media.id)
        .order_by(col(Annotation.object_id), col(Annotation.frame_index))
    ).all()
    keys = key_frames_by_object(session, media.id or 0)
    out: dict[int, ObjectFrames] = {}
    for object_id, frame, area in rows:
        entry = out.setdefault(
            object_id, ObjectFrames(object_id=object_id, ranges=[], key_frames=keys.get(object_id, []))
        )
        if area <= 0:
            continue
        entry.areas.append(area)
        if entry.ranges and entry.ranges[-1][1] == frame - 1:
            entry.ranges[-1][1] = frame
        else:
            entry.ranges.append([frame, frame])
    return list(out.values())


@router.put("", response_model=list[AnnotationPublic])
def put_annotations(
    *, session: SessionDep, segmentation: SegmentationDep, media: ReadyMediaDep, body: list[AnnotationIn]
) -> list[AnnotationPublic]:
    """Store masks as given (undo of a deletion, hand edits); all or none are written."""
    objects = set(session.exec(select(TrackedObject.id).where(TrackedObject.media_id == media.id)))
    for i, item in enumerate(body):
        if item.object_id not in objects:
            raise HTTPException(status_code=404, detail=f"Item {i}: object {item.object_id} not found in this media")
        if item.frame_index >= media.num_frames:
            raise HTTPException(
                status_code=422,
                detail=f"Item {i}: frame {item.frame_index} is out of range 0..{media.num_frames - 1}",
            )
        for field, rle in (("rle", item.rle), ("base_rle", item.base_rle)):
            if rle is None:
                continue
            try:
                # pycocotools checks nothing: short counts would decode into uninitialised memory.
                check_rle(rle.model_dump(), media.height, media.width)
            except InvalidRLE as exc:
                raise HTTPException(
                    status_code=422, detail=f"Item {i}: {field} is not a COCO compressed RLE of this media: {exc}"
                ) from exc
        if item.base_rle is not None and item.base_source is None:
            raise HTTPException(
                status_code=422, detail=f"Item {i}: base_rle needs base_source (the mask's origin: propagated, ...)"
            )
    rows = []
    for item in body:
        row = upsert_rle(session, media.id or 0, item.object_id, item.frame_index, item.rle.model_dump(), item.source,
                         item.score)  # fmt: skip
        if "base_rle" in item.model_fields_set:
            row.base_rle_counts = item.base_rle.counts if item.base_rle else None
            row.base_source = item.base_source if item.base_rle else None
        rows.append(row)
    session.commit()
    out = [annotation_public(session.merge(r)) for r in rows]
    if body:
        if any(item.source in KEY_MASK_SOURCES for item in body):
            segmentation.forget_media(media.id or 0)  # new key frames: the engine replays them
        frames = [item.frame_index for item in body]
        segmentation.publish_updated(media, sorted({i.object_id for i in body}), [min(frames), max(frames)])
    return out
