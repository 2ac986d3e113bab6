"""Helpers several formats share: frame images, label and track numbering."""

from __future__ import annotations

from .base import DatasetObject, ExportDataset, ExportFiles, FormatError, ImportedObject


def frame_files(dataset: ExportDataset, prefix: str) -> ExportFiles:
    """Every frame of every media item as ``<prefix>/<frame_file_name>``, read one at a time."""
    for media in dataset.media:
        if media.read_frame is None:
            raise FormatError(f"Frames of '{media.name}' were asked for, but it has no frame reader")
        for index in range(media.num_frames):
            yield f"{prefix}/{media.frame_file_name(index)}", media.read_frame(index)


def label_ids(dataset: ExportDataset) -> dict[int, int]:
    """Label id -> 1-based category id in label order (COCO, YouTube-VIS)."""
    return {label.id: position for position, label in enumerate(dataset.labels, start=1)}


def object_track_ids(dataset: ExportDataset) -> dict[int, int]:
    """Object id -> the track id written to files: its own track_id, or its object id."""
    return {obj.id: obj.track_id if obj.track_id is not None else obj.id for obj in dataset.objects}


class Categories:
    """COCO / YouTube-VIS categories: one per label (1-based, label order), then one per part that an
    object of the dataset has, named "label/part" (a tool's shaft: "tool/shaft")."""

    def __init__(self, dataset: ExportDataset) -> None:
        self.of_label = label_ids(dataset)
        self.entries = [(self.of_label[label.id], label.name) for label in dataset.labels]
        self.of_part: dict[tuple[int, str], int] = {}
        for obj in dataset.objects:
            if obj.part is not None and (obj.label_id, obj.part) not in self.of_part:
                category = len(self.entries) + 1
                self.of_part[(obj.label_id, obj.part)] = category
                self.entries.append((category, f"{dataset.label(obj.label_id).name}/{obj.part}"))

    def of(self, obj: DatasetObject) -> int:
        return self.of_part[(obj.label_id, obj.part)] if obj.part is not None else self.of_label[obj.label_id]


def part_attributes(obj: DatasetObject, tracks: dict[int, int]) -> dict[str, object]:
    """A part's parent (by the track id the file gives it) and part name, for an annotation's
    ``attributes``; empty for a whole object."""
    if obj.parent_id is None or obj.part is None:
        return {}
    return {"parent_id": tracks.get(obj.parent_id, obj.parent_id), "part": obj.part}


def as_part(obj: ImportedObject, attributes: object) -> ImportedObject:
    """An imported object that our export wrote as a part (attributes ``parent_id`` and ``part``,
    category "label/part") becomes a part of its parent's label again; anything else is left as is."""
    if not isinstance(attributes, dict):
        return obj
    parent, part = attributes.get("parent_id"), attributes.get("part")
    if not isinstance(parent, int) or not isinstance(part, str) or not part:
        return obj
    suffix = f"/{part}"
    if obj.label_name.endswith(suffix) and len(obj.label_name) > len(suffix):
        obj.label_name = obj.label_name[: -len(suffix)]
    obj.parent_track, obj.part = parent, part
    return obj
