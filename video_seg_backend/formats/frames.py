"""Helpers several formats share: frame images, label and track numbering."""

from __future__ import annotations

from .base import ExportDataset, ExportFiles, FormatError


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
