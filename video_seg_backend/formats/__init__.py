"""Datasets in and out: COCO, YouTube-VIS, DAVIS, CVAT for video and CVAT for images, one module each.

The API adapts database rows to the dataclasses in `base` and calls `export_zip_stream` /
`import_annotations`; nothing here touches the database.
"""

from __future__ import annotations

import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from video_seg_backend.core.validation import LABEL_NAME_MAX, clean_name, is_hex_color
from video_seg_backend.storage.masks import InvalidRLE, check_rle

from . import ava, coco, coco_keypoints, cvat_images, cvat_skeleton, cvat_video, davis, ytvis  # noqa: F401  (each registers its format)
from .base import (
    FORMATS,
    DatasetLabel,
    DatasetMask,
    DatasetMedia,
    DatasetObject,
    ExportDataset,
    ExportOptions,
    FormatError,
    FormatSpec,
    ImportedLabel,
    ImportedMask,
    ImportedObject,
    ImportResult,
    get_format,
)
from .zipstream import stream_zip, write_zip

__all__ = [
    "FORMATS",
    "DatasetLabel",
    "DatasetMask",
    "DatasetMedia",
    "DatasetObject",
    "ExportDataset",
    "ExportOptions",
    "FormatError",
    "FormatSpec",
    "ImportResult",
    "ImportedLabel",
    "ImportedMask",
    "ImportedObject",
    "export_filename",
    "export_zip",
    "export_zip_stream",
    "get_format",
    "import_annotations",
    "stream_zip",
    "write_zip",
]


def export_zip_stream(
    dataset: ExportDataset, format_name: str, options: ExportOptions | None = None
) -> Iterator[bytes]:
    """The export as ZIP chunks (for a StreamingResponse). Unknown format: FormatError."""
    spec = get_format(format_name)
    return stream_zip(spec.exporter(dataset, options or ExportOptions()))


def export_zip(
    dataset: ExportDataset, format_name: str, fileobj: IO[bytes], options: ExportOptions | None = None
) -> None:
    """Write the export ZIP to `fileobj` (a file or BytesIO)."""
    write_zip(get_format(format_name).exporter(dataset, options or ExportOptions()), fileobj)


def export_filename(project_name: str, format_name: str) -> str:
    name = re.sub(r"[^\w.-]+", "_", project_name).strip("._") or "project"
    return f"{name}_{format_name}.zip"


def import_annotations(
    format_name: str,
    data: bytes,
    filename: str,
    media: DatasetMedia,
    labels: list[DatasetLabel],
    *,
    frame: int | None = None,
) -> ImportResult:
    """Read masks for one media item from a file; a file in the wrong format raises FormatError."""
    spec = get_format(format_name)
    if spec.importer is None:
        raise FormatError(f"Format '{format_name}' can be exported but not imported")
    try:
        result = spec.importer(data, filename, media, labels, frame=frame)
    except FormatError:
        raise
    except (*MALFORMED, zipfile.BadZipFile, zlib.error, EOFError, RecursionError) as error:
        # The importers read what they expect; a file of another shape (a string where an object
        # belongs, a missing key, a number that is not one) is the file's fault, not the server's.
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise FormatError(f"Expected {spec.title}; '{filename}' is malformed ({reason[:300]})") from None
    return checked_import(result, media)


# What reading an unexpected shape of data raises in the importers.
MALFORMED = (KeyError, IndexError, TypeError, ValueError, AttributeError, OverflowError)


def checked_import(result: ImportResult, media: DatasetMedia) -> ImportResult:
    """Hold an import to the rules the API holds its own input to, before anything is written:
    frames in range, masks that are valid RLEs of the media's size, label names as the API takes
    them (trimmed, 1-100 characters); a label colour that is not #rrggbb is replaced (a warning)."""
    for mask in result.masks:
        if not 0 <= mask.frame_index < media.num_frames:
            raise FormatError(
                f"A mask is on frame {mask.frame_index}, outside '{media.name}' (frames 0 to {media.num_frames - 1})"
            )
        try:
            mask.rle = check_rle(mask.rle, media.height, media.width)
        except InvalidRLE as error:
            raise FormatError(f"The mask of frame {mask.frame_index} is not a valid RLE: {error}") from None
        if mask.score is not None and (type(mask.score) not in (int, float) or not math.isfinite(mask.score)):
            raise FormatError(f"The mask of frame {mask.frame_index} has score {mask.score!r}; expected a number")
    names: dict[str, str] = {}
    for raw in [*(obj.label_name for obj in result.objects), *(label.name for label in result.labels_to_create)]:
        if raw not in names:
            try:
                names[raw] = clean_name(str(raw), LABEL_NAME_MAX, "a label name")
            except ValueError as error:
                raise FormatError(f"Label {str(raw)[:40]!r} in the file cannot be used: {error}") from None
    for obj in result.objects:
        obj.label_name = names[obj.label_name]
    merged: dict[str, ImportedLabel] = {}
    for label in result.labels_to_create:
        label.name = names[label.name]
        if label.color is not None and not is_hex_color(label.color):
            result.warnings.append(
                f"Label '{label.name}': colour {label.color[:20]!r} is not #rrggbb; a new one was picked"
            )
            label.color = None
        merged.setdefault(label.name, label)
    result.labels_to_create = list(merged.values())
    return result
