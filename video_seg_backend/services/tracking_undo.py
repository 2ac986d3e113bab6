"""Undo and redo of tracking jobs: the masks a job replaced are kept, for its last few jobs per video."""

from __future__ import annotations

from sqlmodel import Session, col, select

from video_seg_backend.jobs.params import propagate_params, store_params
from video_seg_backend.models import Annotation, AnnotationSource, Job, JobKind, Media, TrackingChange
from video_seg_backend.services.crud import KEY_FRAME_SOURCES, annotation_on, mask_state, upsert_rle
from video_seg_backend.services.segmentation import SegmentationService

# Tracking jobs per media item whose changes are kept, so the studio can undo them.
UNDOABLE_TRACKING_JOBS = 20


def prune_tracking_changes(session: Session, media_id: int, keep_newest_with: int) -> None:
    """Keeps the changes of the newest tracking jobs of a media item (this one included); older
    jobs are marked as no longer undoable."""
    jobs = session.exec(
        select(Job)
        .where(Job.media_id == media_id, Job.kind == JobKind.propagate, col(Job.id) != keep_newest_with)
        .order_by(col(Job.id).desc())
    ).all()
    for job in jobs[UNDOABLE_TRACKING_JOBS - 1 :]:
        params = propagate_params(job)
        if params.changes == "dropped":
            continue
        for change in session.exec(select(TrackingChange).where(TrackingChange.job_id == job.id)):
            session.delete(change)
        store_params(job, params.model_copy(update={"changes": "dropped"}))
        session.add(job)
    session.commit()


def swap_tracking(seg: SegmentationService, session: Session, media: Media, job: Job, undone: bool) -> None:
    """Undo or redo a tracking job: every mask it changed is swapped with the one kept, except
    where a person has fixed the frame since (theirs stays); ``params.undone`` records which way
    the job stands, in the same commit."""
    # By object id: a parent (made before its parts) is back before the part kept inside it.
    changes = session.exec(
        select(TrackingChange).where(TrackingChange.job_id == job.id).order_by(col(TrackingChange.object_id))
    ).all()
    frames: list[int] = []
    object_ids: set[int] = set()
    for change in changes:
        row = annotation_on(session, change.object_id, change.frame_index)
        if row is not None and row.source in KEY_FRAME_SOURCES:
            continue
        _swap(session, media, change, row)
        frames.append(change.frame_index)
        object_ids.add(change.object_id)
    store_params(job, propagate_params(job).model_copy(update={"undone": undone}))
    session.add(job)
    session.commit()
    # Tracked masks are where later tracking starts from: the engine re-reads them.
    seg.forget_media(media.id or 0)
    if frames:
        seg.publish_updated(media, sorted(object_ids), [min(frames), max(frames)])


def _swap(session: Session, media: Media, change: TrackingChange, row: Annotation | None) -> None:
    """Put the kept mask on the frame, and keep the one that was there in its place."""
    now = mask_state(row)
    if change.rle_counts is None:
        if row is not None:
            session.delete(row)
    else:
        rle = {"size": [media.height, media.width], "counts": change.rle_counts}
        row = upsert_rle(session, media.id or 0, change.object_id, change.frame_index, rle,
                         change.source or AnnotationSource.propagated, change.score, row=row)  # fmt: skip
        row.base_rle_counts, row.base_source = change.base_rle_counts, change.base_source
        row.confidence, row.reviewed, row.tracked_from = change.confidence, change.reviewed, change.tracked_from
    for key, value in now.items():
        setattr(change, key, value)
    session.add(change)
