"""Reading and writing an object's keypoints: checks against its label's structure, whole frames at a
time (a frame's points are written together, so a frame is never half one source and half another)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from video_seg_backend.keypoints.models import FrameKeypoints, KeypointSource, PointIn, PointPublic
from video_seg_backend.keypoints.schema import LabelStructure, structure_of
from video_seg_backend.models import Keypoint, Label, Media, TrackedObject


class KeypointInputError(ValueError):
    """Input that does not fit the object's label or the media item (a 422 naming what was expected)."""


def object_structure(session: Session, obj: TrackedObject) -> tuple[Label, LabelStructure]:
    label = session.get(Label, obj.label_id)
    if label is None:  # the foreign key keeps this from happening; a clear error if it ever does
        raise KeypointInputError(f"Object {obj.id} has no label")
    return label, structure_of(label.structure)


def keypoint_names(session: Session, obj: TrackedObject) -> list[str]:
    label, structure = object_structure(session, obj)
    if not structure.keypoints:
        raise KeypointInputError(f"Label '{label.name}' defines no keypoints; give it some in the label manager first")
    return structure.keypoints


def check_frame(media: Media, names: Sequence[str], frame_index: int, points: Sequence[PointIn]) -> None:
    if frame_index >= media.num_frames:
        raise KeypointInputError(f"Frame {frame_index} is out of range 0..{media.num_frames - 1}")
    if len(points) != len(names):
        raise KeypointInputError(
            f"Expected {len(names)} points, one per keypoint of the label ({', '.join(names)}), got {len(points)}"
        )
    for name, p in zip(names, points, strict=True):
        if p.visibility and not (0 <= p.x <= media.width and 0 <= p.y <= media.height):
            raise KeypointInputError(
                f"Point '{name}' at ({p.x:g}, {p.y:g}) is outside the frame (0..{media.width}, 0..{media.height})"
            )


def write_frames(
    session: Session, media: Media, obj: TrackedObject, frames: Iterable[tuple[int, Sequence[PointIn], str]]
) -> list[int]:
    """Replace the object's points on each frame given (frame, points, source); not committed."""
    written: list[int] = []
    for frame_index, points, source in frames:
        session.execute(
            delete(Keypoint).where(col(Keypoint.object_id) == obj.id, col(Keypoint.frame_index) == frame_index)
        )
        for i, p in enumerate(points):
            visible = p.visibility > 0
            session.add(
                Keypoint(
                    media_id=media.id or 0,
                    object_id=obj.id or 0,
                    frame_index=frame_index,
                    point=i,
                    x=p.x if visible else 0.0,
                    y=p.y if visible else 0.0,
                    visibility=p.visibility,
                    source=source,
                )
            )
        written.append(frame_index)
    return written


def delete_frames(session: Session, object_id: int, start: int, end: int, source: str | None = None) -> int:
    """Drop the object's points on frames start..end (only those of ``source`` if given); not committed."""
    query = delete(Keypoint).where(
        col(Keypoint.object_id) == object_id, col(Keypoint.frame_index) >= start, col(Keypoint.frame_index) <= end
    )
    if source is not None:
        query = query.where(col(Keypoint.source) == source)
    return int(session.execute(query).rowcount or 0)  # type: ignore[attr-defined]


def read_frames(session: Session, object_id: int, start: int = 0, end: int | None = None) -> list[FrameKeypoints]:
    query = select(Keypoint).where(Keypoint.object_id == object_id, col(Keypoint.frame_index) >= start)
    if end is not None:
        query = query.where(col(Keypoint.frame_index) <= end)
    rows = session.exec(query.order_by(col(Keypoint.frame_index), col(Keypoint.point))).all()
    frames: dict[int, FrameKeypoints] = {}
    for row in rows:
        frame = frames.get(row.frame_index)
        if frame is None:
            source: KeypointSource = "key" if row.source == "key" else "tracked"
            frame = frames[row.frame_index] = FrameKeypoints(frame_index=row.frame_index, source=source, points=[])
        frame.points.append(PointPublic(x=row.x, y=row.y, visibility=row.visibility))
    return list(frames.values())


def keypoint_frame_count(session: Session, label_id: int) -> int:
    """How many (object, frame) pairs of the label's objects hold keypoints."""
    rows = session.exec(
        select(Keypoint.object_id, Keypoint.frame_index)
        .join(TrackedObject, col(TrackedObject.id) == col(Keypoint.object_id))
        .where(TrackedObject.label_id == label_id)
        .distinct()
    ).all()
    return len(rows)
