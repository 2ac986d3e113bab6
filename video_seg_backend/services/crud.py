"""Reads and writes of masks, prompts and objects: every query the segmentation services share.

No engine calls and no events here (as fastapi's template keeps ``crud.py`` apart from routes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from types import EllipsisType
from typing import Any

import numpy as np
from sqlmodel import Session, col, func, select

from video_seg_backend.engine.base import BoxPrompt, KeyFrame, PointPrompt
from video_seg_backend.engine.base import Prompt as EnginePrompt
from video_seg_backend.models import (
    KEY_FRAME_SOURCES,
    RLE,
    Annotation,
    AnnotationPublic,
    AnnotationSource,
    Media,
    ObjectPublic,
    Prompt,
    PromptKind,
    TrackedObject,
    utcnow,
)
from video_seg_backend.services.parts import within_parent
from video_seg_backend.storage.masks import decode_mask, encode_rle, rle_area, rle_bbox

# Masks a person brought in without prompts: the engine replays them as they are.
KEY_MASK_SOURCES = (AnnotationSource.imported, AnnotationSource.edited)


# --- masks ---------------------------------------------------------------------------------------
def annotation_public(row: Annotation) -> AnnotationPublic:
    assert row.id is not None
    return AnnotationPublic(
        id=row.id,
        object_id=row.object_id,
        frame_index=row.frame_index,
        rle=RLE(size=[row.height, row.width], counts=row.rle_counts),
        bbox=[row.bbox_x, row.bbox_y, row.bbox_w, row.bbox_h],
        area=row.area,
        source=row.source,
        score=row.score,
        confidence=row.confidence,
        base_rle=RLE(size=[row.height, row.width], counts=row.base_rle_counts) if row.base_rle_counts else None,
        base_source=row.base_source if row.base_rle_counts else None,
    )


def annotation_on(session: Session, object_id: int, frame_index: int) -> Annotation | None:
    """The object's mask row on that frame, if any (one per object and frame)."""
    return session.exec(
        select(Annotation).where(Annotation.object_id == object_id, Annotation.frame_index == frame_index)
    ).first()


def upsert_rle(
    session: Session,
    media_id: int,
    object_id: int,
    frame_index: int,
    rle: dict,
    source: AnnotationSource,
    score: float | None,
    *,
    keep_human: bool = False,
    row: Annotation | None | EllipsisType = ...,
) -> Annotation:
    """Store the object's mask on a frame (compressed RLE), bbox and area derived from it.
    ``keep_human``: leave a mask a person made (clicked, imported, edited) as it is.
    ``row``: the frame's mask row (or None) when the caller has just read it; looked up otherwise.
    Every mask is written here, so this is where a part is kept inside its parent's mask."""
    rle = within_parent(session, object_id, frame_index, rle)
    height, width = (int(v) for v in rle["size"])
    if row is ...:
        row = annotation_on(session, object_id, frame_index)
    if keep_human and row is not None and row.source in KEY_FRAME_SOURCES:
        return row
    if row is None:
        row = Annotation(
            media_id=media_id, object_id=object_id, frame_index=frame_index, height=height, width=width,
            rle_counts=rle["counts"], source=source,
        )  # fmt: skip
    row.height, row.width, row.rle_counts = height, width, rle["counts"]
    row.bbox_x, row.bbox_y, row.bbox_w, row.bbox_h = rle_bbox(rle)
    row.area, row.source, row.score, row.updated_at = rle_area(rle), source, score, utcnow()
    session.add(row)
    return row


def upsert_mask(
    session: Session,
    media_id: int,
    object_id: int,
    frame_index: int,
    mask: np.ndarray,
    source: AnnotationSource,
    score: float | None,
    *,
    keep_human: bool = False,
    row: Annotation | None | EllipsisType = ...,
) -> Annotation:
    return upsert_rle(
        session, media_id, object_id, frame_index, encode_rle(mask), source, score, keep_human=keep_human, row=row
    )


def detached_media(session: Session, media_id: int | None) -> Media:
    """A job's media item, detached so the job reads it after the session closes (ValueError when
    it was deleted before the job started)."""
    media = session.get(Media, media_id) if media_id is not None else None
    if media is None:
        raise ValueError("The media item was deleted.")
    session.expunge(media)
    return media


def mask_state(row: Annotation | None) -> dict[str, Any]:
    """A mask row's content as a TrackingChange keeps it (all None: no mask)."""
    if row is None:
        return {
            "rle_counts": None, "source": None, "score": None, "base_rle_counts": None, "base_source": None,
            "confidence": None, "reviewed": False, "tracked_from": None,
        }  # fmt: skip
    return {
        "rle_counts": row.rle_counts,
        "source": row.source,
        "score": row.score,
        "base_rle_counts": row.base_rle_counts,
        "base_source": row.base_source,
        "confidence": row.confidence,
        "reviewed": row.reviewed,
        "tracked_from": row.tracked_from,
    }


def human_frames(session: Session, media_id: int) -> set[tuple[int, int]]:
    """(object, frame) of every mask a person made on the media item: tracking never writes there."""
    rows = session.exec(
        select(Annotation.object_id, Annotation.frame_index).where(
            Annotation.media_id == media_id, col(Annotation.source).in_(KEY_FRAME_SOURCES)
        )
    )
    return {(object_id, frame) for object_id, frame in rows}


def masks_on_frame(session: Session, media_id: int, frame_index: int, object_ids: Sequence[int]) -> dict[int, Any]:
    """The objects' masks on one frame, decoded, by object id (where tracking starts from)."""
    rows = session.exec(
        select(Annotation).where(
            Annotation.media_id == media_id,
            Annotation.frame_index == frame_index,
            col(Annotation.object_id).in_(object_ids),
        )
    )
    return {a.object_id: decode_mask(a.rle_counts, a.height, a.width) for a in rows}


# --- prompts -------------------------------------------------------------------------------------
def prompts_on(session: Session, object_id: int, frame_index: int) -> list[Prompt]:
    return list(
        session.exec(
            select(Prompt)
            .where(Prompt.object_id == object_id, Prompt.frame_index == frame_index)
            .order_by(col(Prompt.id))
        )
    )


def to_engine_prompt(row: Prompt) -> EnginePrompt:
    if row.kind == PromptKind.box:
        assert row.x0 is not None and row.y0 is not None and row.x1 is not None and row.y1 is not None
        return BoxPrompt(row.x0, row.y0, row.x1, row.y1)
    assert row.x is not None and row.y is not None
    return PointPrompt(row.x, row.y, row.positive)


def replay_key_frames(session: Session, media_id: int, object_ids: Iterable[int] | None = None) -> list[KeyFrame]:
    """Everything a person fixed on this media item, as the engine replays it: the prompts of each
    frame (on the mask they refine, if any), and masks brought in without prompts."""
    prompt_query = select(Prompt).where(Prompt.media_id == media_id).order_by(col(Prompt.id))
    mask_query = select(Annotation).where(Annotation.media_id == media_id, col(Annotation.source).in_(KEY_MASK_SOURCES))
    if object_ids is not None:
        ids = list(object_ids)
        prompt_query = prompt_query.where(col(Prompt.object_id).in_(ids))
        mask_query = mask_query.where(col(Annotation.object_id).in_(ids))
    grouped: dict[tuple[int, int], list[EnginePrompt]] = defaultdict(list)
    for row in session.exec(prompt_query):
        grouped[(row.object_id, row.frame_index)].append(to_engine_prompt(row))
    bases = {
        (a.object_id, a.frame_index): decode_mask(a.base_rle_counts, a.height, a.width)
        for a in session.exec(
            select(Annotation).where(Annotation.media_id == media_id, col(Annotation.base_rle_counts).is_not(None))
        )
        if a.base_rle_counts
    }
    keys = [KeyFrame(obj, frame, prompts, bases.get((obj, frame))) for (obj, frame), prompts in grouped.items()]
    for ann in session.exec(mask_query):
        if (ann.object_id, ann.frame_index) not in grouped:
            mask = decode_mask(ann.rle_counts, ann.height, ann.width)
            keys.append(KeyFrame(ann.object_id, ann.frame_index, [], mask))
    return sorted(keys, key=lambda k: (k.frame_index, k.object_id))


# --- objects -------------------------------------------------------------------------------------
def key_frames_by_object(
    session: Session, media_id: int, object_ids: Sequence[int] | None = None
) -> dict[int, list[int]]:
    """Each object's key frames, sorted: frames with prompts and frames whose mask a person made
    (``KEY_FRAME_SOURCES``, the set the exports read too). Two queries for any number of objects."""
    prompt_query = select(Prompt.object_id, Prompt.frame_index).where(Prompt.media_id == media_id)
    mask_query = select(Annotation.object_id, Annotation.frame_index).where(
        Annotation.media_id == media_id, col(Annotation.source).in_(KEY_FRAME_SOURCES)
    )
    if object_ids is not None:
        prompt_query = prompt_query.where(col(Prompt.object_id).in_(object_ids))
        mask_query = mask_query.where(col(Annotation.object_id).in_(object_ids))
    frames: dict[int, set[int]] = defaultdict(set)
    for object_id, frame in [*session.exec(prompt_query.distinct()), *session.exec(mask_query)]:
        frames[object_id].add(frame)
    return {object_id: sorted(f) for object_id, f in frames.items()}


def objects_public(session: Session, media_id: int, objects: Sequence[TrackedObject]) -> list[ObjectPublic]:
    """The objects with their key frames and annotated-frame counts, in three queries for any number."""
    ids = [o.id for o in objects if o.id is not None]
    keys = key_frames_by_object(session, media_id, ids)
    annotated = dict(
        session.exec(
            select(Annotation.object_id, func.count())
            .where(col(Annotation.object_id).in_(ids), Annotation.area > 0)
            .group_by(col(Annotation.object_id))
        ).all()
    )
    return [
        ObjectPublic.model_validate(
            o, update={"key_frames": keys.get(o.id or 0, []), "annotated_frames": annotated.get(o.id or 0, 0)}
        )
        for o in objects
    ]


def raise_if_deleted(session: Session, media_id: int, object_ids: Sequence[int]) -> None:
    """After a failed write: if the media item or objects were deleted meanwhile (a DELETE while a
    job ran), say so instead of the foreign-key error the database gave."""
    if session.get(Media, media_id) is None:
        raise ValueError("The media item was deleted while tracking.")
    left = set(session.exec(select(TrackedObject.id).where(col(TrackedObject.id).in_(object_ids))))
    gone = sorted(set(object_ids) - left)
    if gone:
        raise ValueError(f"Object(s) {gone} were deleted while tracking; the frames written before stay.")
