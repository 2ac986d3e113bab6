"""The replicas of an item as stored: each replica annotator's objects (who created an object is
in the history) with their labels and masks, and the merge that makes the accepted annotation."""

from __future__ import annotations

from collections import Counter

import numpy as np
from numpy.typing import NDArray
from pycocotools import mask as mask_utils
from sqlmodel import Session, col, func, select

from video_seg_backend.consensus.agreement import ItemAgreement, ReplicaObject
from video_seg_backend.models import (
    Annotation,
    AnnotationSource,
    Assignment,
    HistoryEvent,
    Label,
    Media,
    TrackedObject,
)
from video_seg_backend.services.crud import upsert_mask


def replica_annotators(session: Session, media_id: int) -> list[int]:
    rows = session.exec(select(Assignment.user_id).where(Assignment.media_id == media_id, col(Assignment.replica)))
    return sorted(rows)


def object_creators(session: Session, media_id: int) -> dict[int, int]:
    """Object id -> the user who created it."""
    rows = session.exec(
        select(HistoryEvent.object_id, HistoryEvent.user_id).where(
            HistoryEvent.media_id == media_id, HistoryEvent.action == "object.create"
        )
    )
    return {o: u for o, u in rows if o is not None and u is not None}


def _decode(row: Annotation) -> NDArray[np.bool_]:
    rle = {"size": [row.height, row.width], "counts": row.rle_counts.encode()}
    return mask_utils.decode(rle).astype(bool)  # type: ignore[no-any-return]


def load_replicas(session: Session, media: Media) -> dict[int, list[ReplicaObject]]:
    """Each replica annotator's objects on the item (an annotator with none has an empty list)."""
    annotators = replica_annotators(session, media.id or 0)
    creators = object_creators(session, media.id or 0)
    labels = {lb.id: lb.name for lb in session.exec(select(Label).where(Label.project_id == media.project_id))}
    replicas: dict[int, list[ReplicaObject]] = {a: [] for a in annotators}
    for obj in session.exec(
        select(TrackedObject).where(TrackedObject.media_id == media.id).order_by(col(TrackedObject.id))
    ):
        owner = creators.get(obj.id or 0)
        if owner not in replicas:
            continue
        masks = {
            row.frame_index: _decode(row)
            for row in session.exec(select(Annotation).where(Annotation.object_id == obj.id))
        }
        replicas[owner].append(ReplicaObject(key=obj.id or 0, label=labels.get(obj.label_id, "?"), masks=masks))
    return replicas


def merge(
    session: Session,
    media: Media,
    replicas: dict[int, list[ReplicaObject]],
    result: ItemAgreement,
    picks: dict[int, int],
) -> list[int]:
    """One new object per matched group: per-pixel majority of all k replicas (an annotator without
    the object votes background), or the mask of the annotator the reviewer picked for that group.
    The replicas stay as they are. Returns the new object ids."""
    k = len(replicas)
    by_key = {o.key: o for objs in replicas.values() for o in objs}
    label_ids = {lb.name: lb.id for lb in session.exec(select(Label).where(Label.project_id == media.project_id))}
    last = session.exec(select(func.max(TrackedObject.track_id)).where(TrackedObject.media_id == media.id)).one()
    track_id = last or 0
    created = []
    for index, group in enumerate(result.clusters):
        members = [by_key[key] for key in group.values()]
        picked = picks.get(index)
        if picked is not None:
            chosen = by_key[group[picked]]
            label, masks = chosen.label, dict(chosen.masks)
        else:
            label = Counter(m.label for m in members).most_common(1)[0][0]
            masks = {}
            for frame in sorted({f for m in members for f in m.masks}):
                votes = sum(m.masks[frame].astype(np.int32) for m in members if frame in m.masks)
                masks[frame] = np.asarray(votes) * 2 > k
        track_id += 1
        obj = TrackedObject(media_id=media.id or 0, label_id=label_ids[label] or 0, track_id=track_id, name="merged")
        session.add(obj)
        session.flush()
        for frame, mask in masks.items():
            if mask.any():
                upsert_mask(session, media.id or 0, obj.id or 0, frame, mask, AnnotationSource.edited, None)
        created.append(obj.id or 0)
    session.commit()
    return created
