"""The review queue: tracked masks below a confidence, grouped by frame, most doubtful first.

A mask leaves the queue when a person accepts it (``reviewed``) or corrects it (it becomes a key
frame, no longer a tracked mask); re-tracking a frame puts its new mask back in line.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from video_seg_backend.models import Annotation, AnnotationSource

from .schemas import DoubtfulMask, ReviewFrame, ReviewQueue

# Masks under this confidence are queued unless the request says otherwise. On the shared DAVIS
# sequences (OpenCV engine) it queues 16% of the tracked masks, 47% of them with a true J < 0.5,
# the best F1 of the thresholds tried (scripts/eval_review_queue.py prints the table).
REVIEW_BELOW = 0.2


def order_frames(rows: Sequence[tuple[int, int, float]]) -> list[ReviewFrame]:
    """(object, frame, confidence) rows as frames, lowest confidence first (ties: earlier frame)."""
    by_frame: dict[int, list[DoubtfulMask]] = {}
    for object_id, frame_index, confidence in rows:
        by_frame.setdefault(frame_index, []).append(DoubtfulMask(object_id=object_id, confidence=confidence))
    frames = [
        ReviewFrame(
            frame_index=frame_index,
            confidence=min(m.confidence for m in masks),
            objects=sorted(masks, key=lambda m: (m.confidence, m.object_id)),
        )
        for frame_index, masks in by_frame.items()
    ]
    return sorted(frames, key=lambda f: (f.confidence, f.frame_index))


def review_queue(session: Session, media_id: int, below: float = REVIEW_BELOW) -> ReviewQueue:
    """The media item's frames to review."""
    rows = session.exec(
        select(Annotation.object_id, Annotation.frame_index, Annotation.confidence).where(
            Annotation.media_id == media_id,
            Annotation.source == AnnotationSource.propagated,
            col(Annotation.confidence).is_not(None),
            col(Annotation.confidence) < below,
            col(Annotation.reviewed).is_(False),
        )
    ).all()
    frames = order_frames([(o, f, float(c)) for o, f, c in rows if c is not None])
    reviewed = session.exec(
        select(func.count()).where(Annotation.media_id == media_id, col(Annotation.reviewed).is_(True))
    ).one()
    return ReviewQueue(below=below, frames=frames, remaining=len(frames), reviewed=int(reviewed))


def accept(session: Session, media_id: int, frame_index: int, object_ids: Sequence[int] | None) -> int:
    """Mark the frame's tracked masks reviewed; returns how many masks were marked."""
    query = update(Annotation).where(
        col(Annotation.media_id) == media_id,
        col(Annotation.frame_index) == frame_index,
        col(Annotation.source) == AnnotationSource.propagated,
    )
    if object_ids is not None:
        query = query.where(col(Annotation.object_id).in_(list(object_ids)))
    result = session.execute(query.values(reviewed=True))
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
