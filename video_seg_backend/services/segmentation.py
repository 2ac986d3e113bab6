"""Prompts in, masks out: the glue between the API, the database and the engines.

Clicks run in the request thread (never queued behind a propagation); propagation runs as a job
that writes each frame's masks as soon as the engine yields them.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from types import EllipsisType
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from video_seg_backend.engine.base import BoxPrompt, KeyFrame, PointPrompt, SegmentationEngine
from video_seg_backend.engine.base import Prompt as EnginePrompt
from video_seg_backend.events import AnnotationsUpdated, EventBus
from video_seg_backend.jobs.worker import JobContext
from video_seg_backend.models import (
    RLE,
    Annotation,
    AnnotationPublic,
    AnnotationSource,
    Job,
    JobKind,
    Media,
    Prompt,
    PromptCreate,
    PromptKind,
    PromptPublic,
    PromptResult,
    TrackedObject,
    TrackingChange,
    utcnow,
)
from video_seg_backend.storage.files import StorageLayout
from video_seg_backend.storage.masks import decode_mask, encode_rle, rle_area, rle_bbox
from video_seg_backend.storage.video import JpegFrameSource

log = logging.getLogger(__name__)
HUMAN_SOURCES = (AnnotationSource.prompt, AnnotationSource.imported, AnnotationSource.edited)
# Tracking jobs per media item whose changes are kept, so the studio can undo them.
UNDOABLE_TRACKING_JOBS = 20


class PromptError(ValueError):
    """A prompt that cannot be applied; the message tells the person what to change."""


class ModelUnavailable(LookupError):
    """The requested model cannot run here (unknown, no checkpoint, offline)."""


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
        base_rle=RLE(size=[row.height, row.width], counts=row.base_rle_counts) if row.base_rle_counts else None,
        base_source=row.base_source if row.base_rle_counts else None,
    )


def to_engine_prompt(row: Prompt) -> EnginePrompt:
    if row.kind == PromptKind.box:
        assert row.x0 is not None and row.y0 is not None and row.x1 is not None and row.y1 is not None
        return BoxPrompt(row.x0, row.y0, row.x1, row.y1)
    assert row.x is not None and row.y is not None
    return PointPrompt(row.x, row.y, row.positive)


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
    ``row``: the frame's mask row (or None) when the caller has just read it; looked up otherwise."""
    height, width = (int(v) for v in rle["size"])
    if row is ...:
        row = annotation_on(session, object_id, frame_index)
    if keep_human and row is not None and row.source in HUMAN_SOURCES:
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


def _mask_state(row: Annotation | None) -> dict[str, Any]:
    """A mask row's content as a TrackingChange keeps it (all None: no mask)."""
    if row is None:
        return {"rle_counts": None, "source": None, "score": None, "base_rle_counts": None, "base_source": None}
    return {
        "rle_counts": row.rle_counts,
        "source": row.source,
        "score": row.score,
        "base_rle_counts": row.base_rle_counts,
        "base_source": row.base_source,
    }


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


class SegmentationService:
    def __init__(self, db: Engine, storage: StorageLayout, events: EventBus, registry: Any) -> None:
        self.db = db
        self.storage = storage
        self.events = events
        self.registry = registry

    # --- sessions ----------------------------------------------------------------------------
    def frames(self, media: Media) -> JpegFrameSource:
        return JpegFrameSource(
            self.storage.frames_dir(media.project_id, media.storage_key),
            media.num_frames,
            media.width,
            media.height,
        )

    def key_frames(self, media_id: int, object_ids: Iterable[int] | None = None) -> list[KeyFrame]:
        """Everything a person fixed on this media item, as the engine replays it."""
        with Session(self.db) as session:
            prompt_query = select(Prompt).where(Prompt.media_id == media_id).order_by(col(Prompt.id))
            mask_query = select(Annotation).where(
                Annotation.media_id == media_id,
                col(Annotation.source).in_([AnnotationSource.imported, AnnotationSource.edited]),
            )
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
                    select(Annotation).where(
                        Annotation.media_id == media_id, col(Annotation.base_rle_counts).is_not(None)
                    )
                )
                if a.base_rle_counts
            }
            keys = [KeyFrame(obj, frame, prompts, bases.get((obj, frame))) for (obj, frame), prompts in grouped.items()]
            for ann in session.exec(mask_query):
                if (ann.object_id, ann.frame_index) not in grouped:
                    keys.append(
                        KeyFrame(ann.object_id, ann.frame_index, [], decode_mask(ann.rle_counts, ann.height, ann.width))
                    )
        return sorted(keys, key=lambda k: (k.frame_index, k.object_id))

    def engine(self, model: str | None) -> SegmentationEngine:
        try:
            return self.registry.get(model or self.registry.default_key())  # type: ignore[no-any-return]
        except ValueError as exc:
            raise ModelUnavailable(str(exc)) from exc

    def engine_session(self, media: Media, model: str | None) -> tuple[SegmentationEngine, Any]:
        engine = self.engine(model)
        assert media.id is not None
        media_id = media.id
        session = engine.session(f"media-{media_id}", self.frames(media), lambda: self.key_frames(media_id))
        return engine, session

    # --- prompts -------------------------------------------------------------------------------
    def validate_prompt(self, media: Media, body: PromptCreate) -> Prompt:
        if body.frame_index >= media.num_frames:
            raise PromptError(
                f"Frame {body.frame_index} is out of range: this media has frames 0..{media.num_frames - 1}."
            )
        w, h = media.width, media.height
        if body.kind == PromptKind.point:
            if body.x is None or body.y is None:
                raise PromptError("A point prompt needs x and y in source pixels.")
            if not (0 <= body.x < w and 0 <= body.y < h):
                raise PromptError(f"Point ({body.x}, {body.y}) is outside the {w}x{h} frame.")
            return Prompt(
                media_id=media.id or 0,
                object_id=body.object_id,
                frame_index=body.frame_index,
                kind=PromptKind.point,
                x=body.x,
                y=body.y,
                positive=body.positive,
            )
        if None in (body.x0, body.y0, body.x1, body.y1):
            raise PromptError("A box prompt needs x0, y0, x1 and y1 in source pixels.")
        assert body.x0 is not None and body.y0 is not None and body.x1 is not None and body.y1 is not None
        x0, x1 = sorted((max(0.0, body.x0), min(float(w), body.x1)))
        y0, y1 = sorted((max(0.0, body.y0), min(float(h), body.y1)))
        if x1 - x0 < 2 or y1 - y0 < 2:
            raise PromptError(f"The box must be at least 2x2 pixels inside the {w}x{h} frame.")
        return Prompt(
            media_id=media.id or 0,
            object_id=body.object_id,
            frame_index=body.frame_index,
            kind=PromptKind.box,
            x0=x0,
            y0=y0,
            x1=x1,
            y1=y1,
            positive=True,
        )

    def _prompts_on(self, session: Session, object_id: int, frame_index: int) -> list[Prompt]:
        return list(
            session.exec(
                select(Prompt)
                .where(Prompt.object_id == object_id, Prompt.frame_index == frame_index)
                .order_by(col(Prompt.id))
            )
        )

    def add_prompt(self, media: Media, body: PromptCreate) -> PromptResult:
        new = self.validate_prompt(media, body)
        with Session(self.db) as session:
            existing = self._prompts_on(session, body.object_id, body.frame_index)
            current = annotation_on(session, body.object_id, body.frame_index)
        # The first click on a frame that already holds a mask (tracked or imported) corrects that
        # mask: it becomes the base the prompts refine, as a person expects when fixing drift.
        base_counts, base_source = None, None
        if current is not None:
            if current.base_rle_counts:
                base_counts, base_source = current.base_rle_counts, current.base_source
            elif not existing and current.source != AnnotationSource.prompt and current.area > 0:
                base_counts, base_source = current.rle_counts, current.source
        base = decode_mask(base_counts, media.height, media.width) if base_counts else None
        engine, state = self.engine_session(media, body.model)
        try:
            result = engine.segment(
                state, body.frame_index, body.object_id, [to_engine_prompt(p) for p in [*existing, new]], base
            )
        except ValueError as exc:
            raise PromptError(str(exc)) from exc
        with Session(self.db) as session:
            session.add(new)
            ann = upsert_mask(
                session,
                media.id or 0,
                body.object_id,
                body.frame_index,
                result.mask,
                AnnotationSource.prompt,
                result.score,
            )
            ann.base_rle_counts, ann.base_source = base_counts, base_source
            session.commit()
            session.refresh(new)
            session.refresh(ann)
            out = PromptResult(prompt=PromptPublic.model_validate(new), annotation=annotation_public(ann))
        self.publish_updated(media, [body.object_id], [body.frame_index])
        return out

    def delete_prompt(self, media: Media, prompt: Prompt, model: str | None = None) -> PromptResult:
        """Remove a prompt and recompute the mask; without prompts left, the frame goes back to the
        mask it was corrected from (if any) or to no mask."""
        with Session(self.db) as session:
            remaining = [
                p for p in self._prompts_on(session, prompt.object_id, prompt.frame_index) if p.id != prompt.id
            ]
            current = annotation_on(session, prompt.object_id, prompt.frame_index)
        base_counts = current.base_rle_counts if current is not None else None
        base_source = current.base_source if current is not None else None
        base = decode_mask(base_counts, media.height, media.width) if base_counts else None
        engine, state = self.engine_session(media, model)
        prompts = [to_engine_prompt(p) for p in remaining]
        result = engine.segment(state, prompt.frame_index, prompt.object_id, prompts, base if prompts else None)
        if not prompts and base is not None and base_source in (AnnotationSource.imported, AnnotationSource.edited):
            engine.set_mask(state, prompt.frame_index, prompt.object_id, base)  # it was a key frame itself
        with Session(self.db) as session:
            row = session.get(Prompt, prompt.id)
            if row is not None:
                session.delete(row)
            ann: Annotation | None = None
            if prompts:
                ann = upsert_mask(
                    session,
                    media.id or 0,
                    prompt.object_id,
                    prompt.frame_index,
                    result.mask,
                    AnnotationSource.prompt,
                    result.score,
                )
            elif base is not None and base_source is not None:
                ann = upsert_mask(session, media.id or 0, prompt.object_id, prompt.frame_index, base, base_source, None)
                ann.base_rle_counts, ann.base_source = None, None
            elif current is not None:
                session.delete(session.merge(current))
            session.commit()
            ann_public = None
            if ann is not None:
                session.refresh(ann)
                ann_public = annotation_public(ann)
        self.publish_updated(media, [prompt.object_id], [prompt.frame_index])
        return PromptResult(prompt=None, annotation=ann_public)

    def _prune_tracking_changes(self, media_id: int, keep_newest_with: int) -> None:
        """Keeps the changes of the newest tracking jobs of a media item (this one included);
        older jobs are marked as no longer undoable."""
        with Session(self.db) as session:
            jobs = session.exec(
                select(Job)
                .where(Job.media_id == media_id, Job.kind == JobKind.propagate, col(Job.id) != keep_newest_with)
                .order_by(col(Job.id).desc())
            ).all()
            for job in jobs[UNDOABLE_TRACKING_JOBS - 1 :]:
                if job.params.get("changes") == "dropped":
                    continue
                for change in session.exec(select(TrackingChange).where(TrackingChange.job_id == job.id)):
                    session.delete(change)
                job.params = {**job.params, "changes": "dropped"}
                session.add(job)
            session.commit()

    def swap_tracking(self, session: Session, media: Media, job: Job, undone: bool) -> None:
        """Undo or redo a tracking job: every mask it changed is swapped with the one kept, except
        where a person has fixed the frame since (theirs stays); ``params.undone`` records which
        way the job stands, in the same commit."""
        changes = session.exec(select(TrackingChange).where(TrackingChange.job_id == job.id)).all()
        frames: list[int] = []
        object_ids: set[int] = set()
        for change in changes:
            row = annotation_on(session, change.object_id, change.frame_index)
            if row is not None and row.source in HUMAN_SOURCES:
                continue
            now = _mask_state(row)
            if change.rle_counts is None:
                if row is not None:
                    session.delete(row)
            else:
                rle = {"size": [media.height, media.width], "counts": change.rle_counts}
                row = upsert_rle(session, media.id or 0, change.object_id, change.frame_index, rle,
                                 change.source or AnnotationSource.propagated, change.score, row=row)  # fmt: skip
                row.base_rle_counts, row.base_source = change.base_rle_counts, change.base_source
            for key, value in now.items():
                setattr(change, key, value)
            session.add(change)
            frames.append(change.frame_index)
            object_ids.add(change.object_id)
        job.params = {**job.params, "undone": undone}
        session.add(job)
        session.commit()
        # Tracked masks are where later tracking starts from: the engine re-reads them.
        self.forget_media(media.id or 0)
        if frames:
            self.publish_updated(media, sorted(object_ids), [min(frames), max(frames)])

    def forget_media(self, media_id: int) -> None:
        """Drop cached engine state of a media item (an object or prompts went away in bulk);
        the next click or propagation rebuilds it from the database."""
        for key in self.registry.loaded():
            self.registry.get(key).forget(f"media-{media_id}")

    def publish_updated(self, media: Media, object_ids: Sequence[int], frames: Sequence[int]) -> None:
        self.events.publish(
            media.project_id,
            AnnotationsUpdated(media_id=media.id or 0, object_ids=list(object_ids), frames=[min(frames), max(frames)]),
        )

    # --- propagation -------------------------------------------------------------------------
    def plan_propagation(
        self, media: Media, object_ids: Sequence[int], start_frame: int | None, direction: str, num_frames: int | None
    ) -> list[tuple[int, str, int]]:
        """Runs of (start, direction, frames after start) that the request covers.

        Every frame between two key frames is tracked from the nearer one (up to the midpoint from
        each side): a mask drifts with distance, so a correction never overwrites frames that an
        earlier key frame tracked better.

        - ``num_frames``: exactly that many frames each requested way (step-through mode).
        - A key frame as the start: re-track the stretches between it and its neighbouring key
          frames (each way asked for), and beyond the first or last key frame to the end.
        - Any other start frame: from there up to the next key frame (or the end) each way.
        - No start frame: the whole video, both ways.
        """
        assert media.id is not None
        last = media.num_frames - 1
        keys = sorted({k.frame_index for k in self.key_frames(media.id, object_ids)})
        if not keys:
            raise PromptError("Nothing to track yet: add a prompt (a click or a box) on a frame first.")
        if start_frame is not None and start_frame > last:
            raise PromptError(f"Frame {start_frame} is out of range: this media has frames 0..{last}.")

        def between(a: int, b: int) -> list[tuple[int, str, int]]:
            """The frames strictly between key frames a < b, each from the nearer key frame."""
            mid = (a + b) // 2
            runs = [(a, "forward", mid - a)] if mid > a else []
            return runs + ([(b, "backward", b - mid - 1)] if b - mid - 1 > 0 else [])

        def outward(k: int, way: str) -> list[tuple[int, str, int]]:
            n = k if way == "backward" else last - k
            return [(k, way, n)] if n > 0 else []

        if start_frame is None:
            runs = outward(keys[0], "backward")
            for a, b in zip(keys, keys[1:], strict=False):
                runs += between(a, b)
            return runs + outward(keys[-1], "forward")

        s = start_frame
        forward = direction in ("forward", "both")
        backward = direction in ("backward", "both")
        nxt = next((k for k in keys if k > s), None)
        prev = next((k for k in reversed(keys) if k < s), None)
        runs = []
        if num_frames is not None:
            if forward and s < last:
                runs.append((s, "forward", min(last, s + num_frames) - s))
            if backward and s > 0:
                runs.append((s, "backward", s - max(0, s - num_frames)))
            return runs
        if s in keys:
            if forward:
                runs += between(s, nxt) if nxt is not None else outward(s, "forward")
            if backward:
                runs += between(prev, s) if prev is not None else outward(s, "backward")
            return runs
        if forward:
            runs += [(s, "forward", (nxt - 1 if nxt is not None else last) - s)]
        if backward:
            runs += [(s, "backward", s - (prev + 1 if prev is not None else 0))]
        return [r for r in runs if r[2] > 0]

    @staticmethod
    def _raise_if_deleted(session: Session, media_id: int, object_ids: Sequence[int]) -> None:
        """After a failed write: if the media item or objects were deleted meanwhile (a DELETE
        while the job ran), say so instead of the foreign-key error the database gave."""
        if session.get(Media, media_id) is None:
            raise ValueError("The media item was deleted while tracking.")
        left = set(session.exec(select(TrackedObject.id).where(col(TrackedObject.id).in_(object_ids))))
        gone = sorted(set(object_ids) - left)
        if gone:
            raise ValueError(f"Object(s) {gone} were deleted while tracking; the frames written before stay.")

    def run_propagation(self, ctx: JobContext, params: dict[str, Any]) -> dict[str, Any]:
        with Session(self.db) as session:
            media = session.get(Media, params["media_id"])
            if media is None:
                raise ValueError("The media item was deleted.")
            session.expunge(media)
        object_ids: list[int] = params["object_ids"]
        runs = [tuple(r) for r in params["runs"]]
        total = sum(int(n) for _s, _d, n in runs)
        engine, state = self.engine_session(media, params.get("model"))
        done, written = 0, 0
        lo = hi = None
        self._prune_tracking_changes(media.id or 0, keep_newest_with=ctx.job_id)
        recorded: set[tuple[int, int]] = set()  # (object, frame) whose mask before the job is kept
        ctx.progress(0, total, force=True, media_id=media.id)
        for start, direction, n_after in runs:
            with Session(self.db) as session:
                human = {
                    (a.object_id, a.frame_index)
                    for a in session.exec(
                        select(Annotation).where(
                            Annotation.media_id == media.id, col(Annotation.source).in_(HUMAN_SOURCES)
                        )
                    )
                }
                start_masks = {
                    a.object_id: decode_mask(a.rle_counts, a.height, a.width)
                    for a in session.exec(
                        select(Annotation).where(
                            Annotation.media_id == media.id,
                            Annotation.frame_index == start,
                            col(Annotation.object_id).in_(object_ids),
                        )
                    )
                }
            tracked = [o for o in object_ids if o in start_masks] or object_ids
            frames = engine.propagate(state, tracked, int(start), direction, int(n_after), start_masks)  # type: ignore[arg-type]
            try:
                for frame_index, masks in frames:
                    ctx.check_cancel()
                    if frame_index == start:
                        continue  # the start frame is where tracking came from; it is already right
                    with Session(self.db) as session:
                        # Flushed at the commit below, where a concurrent deletion is told apart.
                        with session.no_autoflush:
                            for m in masks:
                                if (m.object_id, frame_index) in human:
                                    continue  # never overwrite what a person fixed
                                before: Annotation | None | EllipsisType = ...  # not read yet
                                if (m.object_id, frame_index) not in recorded:
                                    recorded.add((m.object_id, frame_index))
                                    before = annotation_on(session, m.object_id, frame_index)
                                    if before is None or before.source not in HUMAN_SOURCES:
                                        session.add(
                                            TrackingChange(
                                                job_id=ctx.job_id,
                                                object_id=m.object_id,
                                                frame_index=frame_index,
                                                **_mask_state(before),
                                            )
                                        )
                                upsert_mask(
                                    session,
                                    media.id or 0,
                                    m.object_id,
                                    frame_index,
                                    m.mask,
                                    AnnotationSource.propagated,
                                    m.score,
                                    keep_human=True,  # nor what a person fixed while the job ran
                                    row=before,
                                )
                        try:
                            session.commit()
                        except IntegrityError:
                            session.rollback()
                            self._raise_if_deleted(session, media.id or 0, object_ids)
                            raise
                    written += 1
                    done += 1
                    lo = frame_index if lo is None else min(lo, frame_index)
                    hi = frame_index if hi is None else max(hi, frame_index)
                    ctx.progress(done, total, media_id=media.id, frame=frame_index, frames=[lo, hi])
            finally:
                close = getattr(frames, "close", None)
                if close is not None:  # a generator: release the engine's per-session state now
                    close()
                if lo is not None and hi is not None:
                    self.publish_updated(media, object_ids, [lo, hi])
        ctx.progress(done, total, force=True, media_id=media.id)
        return {"frames_written": written}
