"""The 'export' job: a project's dataset ZIP written to a file on the server, with progress.

The studio's direct download streams the ZIP from the API process; a big project is better built
by a worker (its own queue, so tracking never waits behind it) while the person keeps working, then
fetched from ``GET /jobs/{id}/file``. The ZIP is written under a temporary name and renamed, so a
canceled or failed export leaves no file that looks whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from video_seg_backend.formats import DatasetMask, DatasetMedia, ExportOptions, export_filename, export_zip
from video_seg_backend.jobs.params import ExportParams, ExportResult
from video_seg_backend.jobs.runner import JobContext
from video_seg_backend.models import Annotation, Media, MediaStatus, Project
from video_seg_backend.services.datasets import export_dataset
from video_seg_backend.storage.files import StorageLayout

# Finished export files kept per project; older ones are removed when a new one is written.
KEEP_EXPORTS = 5


def export_path(storage: StorageLayout, project_id: int, job_id: int, filename: str) -> Path:
    return storage.project_dir(project_id) / "exports" / str(job_id) / filename


def run_export(db: Engine, storage: StorageLayout, ctx: JobContext, params: ExportParams) -> ExportResult:
    with Session(db) as session:
        project = session.get(Project, params.project_id)
        if project is None:
            raise RuntimeError("The project was deleted before its export started")
        total = session.exec(
            select(func.count())
            .select_from(Annotation)
            .join(Media, col(Media.id) == Annotation.media_id)
            .where(Media.project_id == project.id, Media.status == MediaStatus.ready, Annotation.area > 0)
        ).one()
        dataset = export_dataset(db, storage, project, params.include_annotator)
        filename = export_filename(project.name, params.format)
    read_masks = dataset.masks
    assert callable(read_masks)
    written = 0

    def counted(item: DatasetMedia) -> Iterator[DatasetMask]:
        nonlocal written
        for mask in read_masks(item):
            ctx.check_cancel()
            written += 1
            ctx.progress(written, total)
            yield mask

    final = export_path(storage, params.project_id, ctx.job_id, filename)
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    options = ExportOptions(include_frames=params.include_frames, include_png_masks=params.include_png_masks)
    try:
        with part.open("wb") as out:
            export_zip(dataclasses.replace(dataset, masks=counted), params.format, out, options)
        part.replace(final)
    finally:
        part.unlink(missing_ok=True)
    ctx.progress(written, total, force=True)
    _remove_old_exports(final.parent.parent)
    return ExportResult(filename=filename, bytes=final.stat().st_size, masks=written)


def _remove_old_exports(exports_dir: Path) -> None:
    done = sorted(
        (d for d in exports_dir.iterdir() if d.is_dir() and d.name.isdigit() and not any(d.glob("*.part"))),
        key=lambda d: int(d.name),
    )
    for old in done[:-KEEP_EXPORTS]:  # (an export still being written is not "done")
        for file in old.iterdir():
            file.unlink(missing_ok=True)
        old.rmdir()
