"""Person boxes at keyframes: each object's mask bounding box on that frame."""

from __future__ import annotations

from sqlmodel import Session, col, select

from video_seg_backend.models import Annotation

Box = tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels


def boxes_at(session: Session, media_id: int, frames: list[int]) -> dict[tuple[int, int], Box]:
    """(object id, frame) -> the mask's box, for every non-empty mask on those frames."""
    if not frames:
        return {}
    rows = session.exec(
        select(Annotation).where(
            Annotation.media_id == media_id, col(Annotation.frame_index).in_(frames), Annotation.area > 0
        )
    )
    return {(a.object_id, a.frame_index): (a.bbox_x, a.bbox_y, a.bbox_x + a.bbox_w, a.bbox_y + a.bbox_h) for a in rows}


def box_iou(a: Box, b: Box) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
