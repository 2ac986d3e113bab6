"""The auto-annotation job: detect a concept every N frames, link the boxes into tracks (ByteTrack),
and make each track an object with a mask on every frame it covers.

Masks: each track's box on each frame prompts the segmenting model (a box prompt, frame by frame),
rather than prompting once and tracking. The detector has looked at every N-th frame and the boxes
between are interpolated, so every frame already has evidence of where the object is; a box per
frame cannot drift onto the background as tracking from one prompt can over a long track, each
frame costs one image encoding (tracking costs that plus memory attention), and frames stay
independent, so a wrong box spoils one frame, not the rest of the track. Without a model
(``mask_model`` null) the box itself, filled, is the mask: a COCO export then carries the box.

Masks are written frame by frame (all tracks of a frame in one commit), as ``propagated``: machine
output that a person's clicks and later tracking may replace. Cancel is checked between frames;
the objects and frames written so far are kept, and objects that got no mask yet are removed.
A second attempt (the first one's worker died) removes the first attempt's objects and starts over:
detection is deterministic, so it makes the same objects.
"""

from __future__ import annotations

import logging
import time

import numpy as np
from sqlalchemy import update
from sqlmodel import Session, col, func, select

from video_seg_backend.detection import Track, link_tracks
from video_seg_backend.engine.base import BoxPrompt, FrameSource, SegmentationEngine
from video_seg_backend.events import ObjectsUpdated
from video_seg_backend.jobs.params import AutoAnnotateParams, AutoAnnotateResult
from video_seg_backend.jobs.runner import JobContext
from video_seg_backend.models import Annotation, AnnotationSource, HistoryEvent, Job, Media, TrackedObject
from video_seg_backend.services.auto_annotate import detection_frames, open_detector
from video_seg_backend.services.crud import detached_media, upsert_mask
from video_seg_backend.services.segmentation import SegmentationService

log = logging.getLogger(__name__)
OBJECT_MARK = "object."  # checkpoint keys "object.<id>": the objects this job made


def run_auto_annotate(seg: SegmentationService, ctx: JobContext, params: AutoAnnotateParams) -> AutoAnnotateResult:
    with Session(seg.db) as session:
        media = detached_media(session, params.media_id)
    return _AutoAnnotate(seg, ctx, media, params).run()


def box_mask(box: tuple[float, float, float, float], height: int, width: int) -> np.ndarray:
    """The box as a mask: the pixels whose centres lie inside it (at least one pixel)."""
    x0, y0, x1, y1 = box
    c0, c1 = int(np.clip(np.floor(x0 + 0.5), 0, width - 1)), int(np.clip(np.ceil(x1 - 0.5), 1, width))
    r0, r1 = int(np.clip(np.floor(y0 + 0.5), 0, height - 1)), int(np.clip(np.ceil(y1 - 0.5), 1, height))
    mask = np.zeros((height, width), dtype=bool)
    mask[r0 : max(r1, r0 + 1), c0 : max(c1, c0 + 1)] = True
    return mask


class _AutoAnnotate:
    def __init__(self, seg: SegmentationService, ctx: JobContext, media: Media, params: AutoAnnotateParams) -> None:
        self.seg, self.ctx, self.media, self.params = seg, ctx, media, params
        self.media_id = media.id or 0
        self.object_ids: list[int] = []
        self.written = 0
        self.span: list[int] = []

    def run(self) -> AutoAnnotateResult:
        self._drop_earlier_attempt()
        detector = open_detector(self.seg.registry, self.params)
        frames = self.seg.frames(self.media)
        marks = detection_frames(frames.num_frames, self.params.every)
        detections = {}
        self.ctx.progress(0, len(marks), force=True, media_id=self.media_id)
        for done, frame_index in enumerate(marks, start=1):
            self.ctx.check_cancel()
            detections[frame_index] = list(detector.detect(frames.read_rgb(frame_index)))
            if self.ctx.frame_delay_s:  # tests slow jobs down to cancel them mid-way
                time.sleep(self.ctx.frame_delay_s)
            self.ctx.progress(done, len(marks), media_id=self.media_id, frame=frame_index)
        # An image (one detection frame) has nothing to link: each detection is an object of its own.
        tracks = link_tracks(
            detections, num_frames=frames.num_frames, fps=self.media.fps or 30.0, activation=self.params.threshold,
            min_detections=1 if len(marks) == 1 else 2,
        )  # fmt: skip
        try:
            self._create_objects(tracks)
            self._write(tracks, frames, len(marks))
        finally:
            self._end()
        return AutoAnnotateResult(
            detection_frames=len(marks), detections=sum(len(d) for d in detections.values()), tracks=len(tracks),
            object_ids=self.object_ids, frames_written=self.written,
        )  # fmt: skip

    def _drop_earlier_attempt(self) -> None:
        earlier = [int(k.removeprefix(OBJECT_MARK)) for k in self.ctx.checkpoint if k.startswith(OBJECT_MARK)]
        if not earlier:
            return
        with Session(self.seg.db) as session:
            for obj in session.exec(select(TrackedObject).where(col(TrackedObject.id).in_(earlier))):
                session.delete(obj)
            session.commit()
        self.ctx.checkpoint = {}
        self.seg.forget_media(self.media_id)

    def _create_objects(self, tracks: list[Track]) -> None:
        """One object per track, numbered after the media item's existing ones, in one commit with
        the checkpoint that names them (so a second attempt can remove them)."""
        if not tracks:
            return
        with Session(self.seg.db) as session:
            last = session.exec(
                select(func.max(TrackedObject.track_id)).where(TrackedObject.media_id == self.media_id)
            ).one()
            rows = [
                TrackedObject(media_id=self.media_id, label_id=self.params.label_id, track_id=(last or 0) + k)
                for k in range(1, len(tracks) + 1)
            ]
            session.add_all(rows)
            session.flush()
            self.object_ids = [row.id or 0 for row in rows]
            _attribute_to_starter(session, self.ctx.job_id, self.media, self.object_ids)
            checkpoint = {f"{OBJECT_MARK}{object_id}": k for k, object_id in enumerate(self.object_ids, start=1)}
            session.execute(update(Job).where(col(Job.id) == self.ctx.job_id).values(checkpoint=checkpoint))
            session.commit()
        self.ctx.checkpoint = checkpoint
        self.seg.events.publish(
            self.media.project_id, ObjectsUpdated(media_id=self.media_id, object_ids=list(self.object_ids))
        )

    def _write(self, tracks: list[Track], frames: FrameSource, detected: int) -> None:
        covered = sorted({f for track in tracks for f in track.boxes})
        total = detected + len(covered)
        engine: SegmentationEngine | None = None
        if self.params.mask_model is not None and covered:
            engine = self.seg.engine(self.params.mask_model)
        scratch_key = f"auto-annotate-{self.ctx.job_id}"
        state = engine.session(scratch_key, frames, lambda: []) if engine is not None else None
        height, width = frames.height, frames.width
        try:
            for done, frame_index in enumerate(covered, start=detected + 1):
                self.ctx.check_cancel()
                with Session(self.seg.db) as session:
                    for object_id, track in zip(self.object_ids, tracks, strict=True):
                        box = track.boxes.get(frame_index)
                        if box is None:
                            continue
                        mask = box_mask(box, height, width)
                        if engine is not None and state is not None:
                            prompt = BoxPrompt(*box)
                            segmented = engine.segment(state, frame_index, object_id, [prompt]).mask
                            if segmented.any():  # an empty answer keeps the box: the detector saw something there
                                mask = segmented
                        upsert_mask(session, self.media_id, object_id, frame_index, mask, AnnotationSource.propagated,
                                    track.scores.get(frame_index), keep_human=True)  # fmt: skip
                    session.commit()
                self.written += 1
                if self.ctx.frame_delay_s:
                    time.sleep(self.ctx.frame_delay_s)
                self.span = [self.span[0] if self.span else frame_index, frame_index]
                self.ctx.progress(done, total, media_id=self.media_id, frame=frame_index, frames=list(self.span))
            self.ctx.progress(total, total, force=True, media_id=self.media_id)
        finally:
            if engine is not None:
                engine.forget(scratch_key)

    def _end(self) -> None:
        """Whatever the ending: objects that got no mask go, and the studio hears what changed."""
        if not self.object_ids:
            return
        with Session(self.seg.db) as session:
            with_masks = set(
                session.exec(
                    select(Annotation.object_id).where(col(Annotation.object_id).in_(self.object_ids)).distinct()
                )
            )
            empty = [o for o in self.object_ids if o not in with_masks]
            for obj in session.exec(select(TrackedObject).where(col(TrackedObject.id).in_(empty))):
                session.delete(obj)
            session.commit()
        if empty:
            self.object_ids = [o for o in self.object_ids if o in with_masks]
            self.seg.events.publish(self.media.project_id, ObjectsUpdated(media_id=self.media_id, object_ids=empty))
        if self.span:
            self.seg.publish_updated(self.media, self.object_ids, self.span)
        log.info("job %s: %d objects, %d frames written", self.ctx.job_id, len(self.object_ids), self.written)


def _attribute_to_starter(session: Session, job_id: int, media: Media, object_ids: list[int]) -> None:
    """The objects are the work of whoever started the job (the worker has no signed-in caller):
    an annotator's persons on an item they work on as a replica stay hidden from the other replicas."""
    started = session.exec(
        select(HistoryEvent).where(HistoryEvent.job_id == job_id, HistoryEvent.action == "job.create")
    ).first()
    if started is None or started.user_id is None:
        return  # a single-user studio: nobody to hide the objects from
    session.add_all(
        HistoryEvent(
            user_id=started.user_id,
            username=started.username,
            action="object.create",
            project_id=media.project_id,
            media_id=media.id,
            object_id=object_id,
        )  # fmt: skip
        for object_id in object_ids
    )
