"""The keypoint job: for each object, fill the frames between (and beyond) its keypoint key frames
with tracked points, constrained by the object's stored masks.

A job, not a step of mask tracking: points are placed and corrected after the masks exist, and
re-tracking them must not re-run (and overwrite) the masks; as a job it has progress, cancel, and
runs on the tracking workers in broker mode like every other long task. Key frames are never
overwritten; the tracked frames of the range are replaced, frame by frame as they come.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
from numpy.typing import NDArray
from sqlmodel import Session, col, select

from video_seg_backend.jobs.params import KeypointsParams, KeypointsResult
from video_seg_backend.jobs.runner import JobContext
from video_seg_backend.keypoints.models import PointIn
from video_seg_backend.keypoints.tracker import GreyReader, KeyPoints, track_keypoints
from video_seg_backend.models import Keypoint, Media, TrackedObject
from video_seg_backend.services.crud import annotation_on, detached_media
from video_seg_backend.services.keypoints import delete_frames, write_frames
from video_seg_backend.services.segmentation import SegmentationService
from video_seg_backend.storage.masks import decode_mask

log = logging.getLogger(__name__)


def key_points(session: Session, object_id: int) -> dict[int, KeyPoints]:
    """The object's key frames (a person's or imported points), as the tracker takes them."""
    rows = session.exec(
        select(Keypoint)
        .where(Keypoint.object_id == object_id, Keypoint.source == "key")
        .order_by(col(Keypoint.frame_index), col(Keypoint.point))
    ).all()
    frames: dict[int, list[Keypoint]] = {}
    for row in rows:
        frames.setdefault(row.frame_index, []).append(row)
    return {
        f: KeyPoints(np.array([(r.x, r.y) for r in pts], np.float32), np.array([r.visibility for r in pts], np.int8))
        for f, pts in frames.items()
    }


def run_keypoint_tracking(seg: SegmentationService, ctx: JobContext, params: KeypointsParams) -> KeypointsResult:
    with Session(seg.db) as session:
        media = detached_media(session, params.media_id)
        keyed = {oid: key_points(session, oid) for oid in params.object_ids}
    source = seg.frames(media)
    first, last = params.start_frame, min(params.end_frame, media.num_frames - 1)
    total = sum(sum(1 for f in range(first, last + 1) if f not in keys) for keys in keyed.values() if keys)
    result = KeypointsResult(frames_written=0, points_kept=0, points_dropped=0)

    def grey(index: int) -> NDArray[np.uint8]:
        return cv2.cvtColor(source.read_bgr(index), cv2.COLOR_BGR2GRAY)

    for object_id, keys in keyed.items():
        if keys:
            _track_object(seg, ctx, media, object_id, keys, (first, last), grey, result, total)
    ctx.progress(result.frames_written, total, force=True, media_id=media.id)
    log.info("keypoint job %s: %s", ctx.job_id, result)
    return result


def _track_object(
    seg: SegmentationService,
    ctx: JobContext,
    media: Media,
    object_id: int,
    keys: dict[int, KeyPoints],
    span: tuple[int, int],
    grey: GreyReader,
    result: KeypointsResult,
    total: int,
) -> None:
    with Session(seg.db) as session:

        def mask(index: int) -> NDArray[np.bool_] | None:
            row = annotation_on(session, object_id, index)
            return None if row is None else decode_mask(row.rle_counts, row.height, row.width).astype(bool)

        obj = session.get(TrackedObject, object_id)
        if obj is None:  # deleted since the job was asked for
            return
        delete_frames(session, object_id, span[0], span[1], "tracked")
        session.commit()
        for frame, points in track_keypoints(grey, mask, keys, span[0], span[1]):
            ctx.check_cancel()
            pts = [
                PointIn.model_construct(x=float(x), y=float(y), visibility=int(v))
                for (x, y), v in zip(points.xy, points.vis, strict=True)
            ]
            write_frames(session, media, obj, [(frame, pts, "tracked")])
            session.commit()
            kept = int((points.vis > 0).sum())
            result.frames_written += 1
            result.points_kept += kept
            result.points_dropped += len(pts) - kept
            ctx.progress(result.frames_written, total, media_id=media.id, frame=frame)
