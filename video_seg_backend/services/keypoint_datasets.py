"""Keypoints between the database and the formats' dataclasses: read per media item for an export,
written with an import (inside its transaction), and a label's points for the importers to check."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from video_seg_backend.formats.base import DatasetKeypoints, DatasetLabel, DatasetMedia, ImportResult
from video_seg_backend.keypoints.schema import LabelStructure, structure_of
from video_seg_backend.models import Keypoint, Label, Media, TrackedObject


def with_structure(label: DatasetLabel, row: Label) -> DatasetLabel:
    structure = structure_of(row.structure)
    label.keypoints = list(structure.keypoints)
    label.edges = [(a, b) for a, b in structure.edges]
    return label


def keypoint_reader(db: Engine) -> Callable[[DatasetMedia], Iterator[DatasetKeypoints]]:
    def keypoints_of(item: DatasetMedia) -> Iterator[DatasetKeypoints]:
        with Session(db) as session:
            rows = session.exec(
                select(Keypoint)
                .where(Keypoint.media_id == item.id)
                .order_by(col(Keypoint.object_id), col(Keypoint.frame_index), col(Keypoint.point))
            ).all()
        current: DatasetKeypoints | None = None
        for row in rows:
            if current is None or (current.object_id, current.frame_index) != (row.object_id, row.frame_index):
                if current is not None:
                    yield current
                tracked = row.source == "tracked"
                current = DatasetKeypoints(row.object_id, row.frame_index, [], "tracked" if tracked else "key")
            current.points.append((row.x, row.y, row.visibility))
        if current is not None:
            yield current

    return keypoints_of


def write_imported_keypoints(
    session: Session, media: Media, result: ImportResult, objects: Mapping[str, TrackedObject], labels: dict[str, Label]
) -> int:
    """Store an import's keypoints (the importer checked names against the labels); labels that had no
    keypoints take the file's. Returns the (object, frame) pairs written."""
    for name, (points, edges) in result.label_structures.items():
        label = labels[name]
        if not structure_of(label.structure).keypoints:
            current = structure_of(label.structure)
            label.structure = LabelStructure(
                keypoints=points, edges=[list(e) for e in edges], parts=current.parts
            ).model_dump()
            session.add(label)
    for item in result.keypoints:
        obj = objects[item.object_key]
        for i, (x, y, v) in enumerate(item.points):
            session.add(
                Keypoint(
                    media_id=media.id or 0,
                    object_id=obj.id or 0,
                    frame_index=item.frame_index,
                    point=i,
                    x=float(x) if v else 0.0,
                    y=float(y) if v else 0.0,
                    visibility=int(v),
                    source="key" if item.keyframe else "tracked",
                )
            )
    return len(result.keypoints)
