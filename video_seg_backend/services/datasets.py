"""Database rows <-> the plain dataclasses of ``formats``: exports stream, imports are atomic."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import PurePosixPath

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from video_seg_backend.actions.export import ava_source
from video_seg_backend.formats import (
    DatasetLabel,
    DatasetMask,
    DatasetMedia,
    DatasetObject,
    ExportDataset,
    ImportedObject,
    ImportResult,
)
from video_seg_backend.keypoints.schema import structure_of
from video_seg_backend.models import (
    Annotation,
    AnnotationSource,
    HistoryEvent,
    Label,
    Media,
    MediaStatus,
    MediaType,
    Project,
    TrackedObject,
)
from video_seg_backend.services.crud import upsert_rle
from video_seg_backend.services.keypoint_datasets import keypoint_reader, with_structure, write_imported_keypoints
from video_seg_backend.storage.files import StorageLayout
from video_seg_backend.storage.masks import normalize_rle

# An image keeps the extension it was uploaded with in exports (training code finds it by name).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def dataset_media(media: Media, storage: StorageLayout) -> DatasetMedia:
    """A media item for the formats. Video frames are the decoded JPEGs; an image is exported as
    the file that was uploaded, under its own extension."""
    if media.kind == MediaType.image:
        original = storage.media_dir(media.project_id, media.storage_key) / media.original_file
        suffix = PurePosixPath(media.name.replace("\\", "/")).suffix
        frame_ext = suffix if suffix.lower() in IMAGE_SUFFIXES else original.suffix

        def read_frame(index: int) -> bytes:
            return original.read_bytes()

    else:
        frame_ext = ".jpg"

        def read_frame(index: int) -> bytes:
            return storage.frame_path(media.project_id, media.storage_key, index).read_bytes()

    return DatasetMedia(
        id=media.id or 0,
        name=media.name,
        kind=media.kind.value,
        width=media.width,
        height=media.height,
        num_frames=media.num_frames,
        fps=media.fps,
        read_frame=read_frame,
        frame_ext=frame_ext,
    )


def export_dataset(
    db: Engine, storage: StorageLayout, project: Project, include_annotator: bool = False
) -> ExportDataset:
    """The project as an ``ExportDataset`` whose masks are read one media item at a time;
    ``include_annotator``: each object names who created it (from the history)."""
    with Session(db) as session:
        labels = project_labels(session, project.id or 0)
        media_rows = session.exec(
            select(Media)
            .where(Media.project_id == project.id, Media.status == MediaStatus.ready)
            .order_by(col(Media.id))
        ).all()
        media = [dataset_media(m, storage) for m in media_rows]
        objects = [
            DatasetObject(
                id=o.id or 0,
                media_id=o.media_id,
                label_id=o.label_id,
                track_id=o.track_id,
                parent_id=o.parent_id,
                part=o.part,
            )  # fmt: skip
            for o in session.exec(
                select(TrackedObject)
                .where(col(TrackedObject.media_id).in_([m.id for m in media]))
                .order_by(col(TrackedObject.media_id), col(TrackedObject.track_id))
            )
        ]
        if include_annotator:
            creators = object_creators(session, [o.id for o in objects])
            for o in objects:
                o.annotator = creators.get(o.id)

    def masks_of(item: DatasetMedia) -> Iterator[DatasetMask]:
        # Its own session, read lazily while the ZIP streams: one media item in memory at a time.
        with Session(db) as session:
            rows = session.exec(
                select(Annotation)
                .where(Annotation.media_id == item.id, Annotation.area > 0)
                .order_by(col(Annotation.frame_index), col(Annotation.object_id))
                .execution_options(yield_per=500)
            )
            for a in rows:
                yield DatasetMask(
                    object_id=a.object_id,
                    frame_index=a.frame_index,
                    rle={"size": [a.height, a.width], "counts": a.rle_counts},
                    source=a.source.value,
                    # A tracked mask's confidence is its score in COCO and YouTube-VIS.
                    score=a.confidence if a.confidence is not None else a.score,
                )

    return ExportDataset(
        project_name=project.name,
        media_type=project.media_type.value,
        labels=labels,
        media=media,
        objects=objects,
        masks=masks_of,
        keypoints=keypoint_reader(db),
        actions=ava_source(db, project),
    )


def project_labels(session: Session, project_id: int) -> list[DatasetLabel]:
    return [
        with_structure(DatasetLabel(id=lb.id or 0, name=lb.name, color=lb.color), lb)
        for lb in session.exec(select(Label).where(Label.project_id == project_id).order_by(col(Label.id)))
    ]


def random_color(rng: random.Random) -> str:
    return "#{:02x}{:02x}{:02x}".format(*(rng.randint(40, 230) for _ in range(3)))


def apply_import(db: Engine, media: Media, result: ImportResult, replace: bool = False) -> dict[str, int]:
    """Write an import in one transaction: labels by name (created when missing), new objects,
    and their masks (key frames as ``imported``, the rest as ``propagated``). ``replace`` first
    deletes the media item's objects with their prompts and masks, as CVAT's upload does."""
    rng = random.Random(len(result.objects))
    with Session(db) as session:
        replaced = 0
        if replace:
            old = session.exec(select(TrackedObject).where(TrackedObject.media_id == media.id)).all()
            for obj in old:
                session.delete(obj)  # prompts and masks go with it (ON DELETE CASCADE)
            replaced = len(old)
            session.flush()
        labels = {lb.name: lb for lb in session.exec(select(Label).where(Label.project_id == media.project_id))}
        created_labels = 0
        for wanted in result.labels_to_create:
            if wanted.name not in labels:
                label = Label(name=wanted.name, color=wanted.color or random_color(rng), project_id=media.project_id)
                session.add(label)
                labels[wanted.name] = label
                created_labels += 1
        session.flush()
        last_track = max(
            (o.track_id for o in session.exec(select(TrackedObject).where(TrackedObject.media_id == media.id))),
            default=0,
        )
        objects: dict[str, TrackedObject] = {}
        for imported in result.objects:
            if imported.label_name not in labels:
                new_label = Label(name=imported.label_name, color=random_color(rng), project_id=media.project_id)
                session.add(new_label)
                session.flush()
                labels[imported.label_name] = new_label
                created_labels += 1
            label = labels[imported.label_name]
            last_track += 1
            obj = TrackedObject(media_id=media.id or 0, label_id=label.id or 0, track_id=last_track)
            session.add(obj)
            objects[imported.key] = obj
        session.flush()
        parts = link_imported_parts(session, result.objects, objects, labels)
        # Parents' masks first: a part's mask is kept inside its parent's as it is written.
        for mask in sorted(result.masks, key=lambda m: m.object_key in parts):
            source = AnnotationSource.imported if mask.keyframe else AnnotationSource.propagated
            rle = normalize_rle(mask.rle)
            upsert_rle(
                session, media.id or 0, objects[mask.object_key].id or 0, mask.frame_index, rle, source, mask.score
            )
        keypoint_frames = write_imported_keypoints(session, media, result, objects, labels)
        session.commit()
    return {
        "keypoint_frames": keypoint_frames,
        "objects_replaced": replaced,
        "labels_created": created_labels,
        "objects_created": len(objects),
        "masks": len(result.masks),
        "key_frames": sum(1 for m in result.masks if m.keyframe),
    }


def link_imported_parts(
    session: Session, imported: list[ImportedObject], objects: dict[str, TrackedObject], labels: dict[str, Label]
) -> set[str]:
    """Imported parts (an export of ours: parent's track id and part name) under their parent of the
    same file; the label gains part names it lacks. Returns the keys of the parts linked."""
    by_track = {o.track_id: objects[o.key] for o in imported if o.track_id is not None and o.part is None}
    linked: set[str] = set()
    for item in imported:
        parent = by_track.get(item.parent_track) if item.part and item.parent_track is not None else None
        if parent is None or item.part is None:
            continue
        obj = objects[item.key]
        obj.parent_id, obj.part, obj.label_id = parent.id, item.part, parent.label_id
        label = next(lb for lb in labels.values() if lb.id == parent.label_id)
        structure = structure_of(label.structure)
        if item.part not in structure.parts:
            label.structure = structure.model_copy(update={"parts": [*structure.parts, item.part]}).model_dump()
            session.add(label)
        linked.add(item.key)
    session.flush()
    return linked


def object_creators(session: Session, object_ids: list[int]) -> dict[int, str]:
    """Object id -> the user name that created it (objects made before attribution have none)."""
    rows = session.exec(
        select(HistoryEvent.object_id, HistoryEvent.username).where(
            HistoryEvent.action == "object.create", col(HistoryEvent.object_id).in_(object_ids)
        )
    )
    return {o: u for o, u in rows if o is not None and u is not None}
