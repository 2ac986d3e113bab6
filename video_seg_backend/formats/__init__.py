"""Datasets in and out: COCO, YouTube-VIS, DAVIS, CVAT for video and CVAT for images, one module each.

The API adapts database rows to the dataclasses in `base` and calls `export_zip_stream` /
`import_annotations`; nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO

from . import coco, cvat_images, cvat_video, davis, ytvis  # noqa: F401  (each registers its format)
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
    return spec.importer(data, filename, media, labels, frame=frame)
