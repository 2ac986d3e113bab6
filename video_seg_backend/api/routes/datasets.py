from __future__ import annotations

import re
from enum import Enum
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from video_seg_backend.api.deps import (
    DbDep,
    EventsDep,
    ProjectDep,
    ReadyMediaDep,
    SegmentationDep,
    SessionDep,
    StorageDep,
    WorkerDep,
)
from video_seg_backend.events import ObjectsUpdated
from video_seg_backend.formats import (
    FORMATS,
    ExportOptions,
    FormatError,
    export_filename,
    export_zip_stream,
    import_annotations,
)
from video_seg_backend.jobs.params import ExportParams, JobPublic
from video_seg_backend.jobs.runner import queue_for
from video_seg_backend.models import Int, Job, JobKind
from video_seg_backend.services.datasets import apply_import, dataset_media, export_dataset, project_labels

router = APIRouter(tags=["datasets"])
# An annotation file is XML/JSON/PNG: far smaller than a video. Bigger is a mistake, not a dataset.
MAX_IMPORT_BYTES = 512 * 1024 * 1024


class ImportSummary(BaseModel):
    format: str
    objects_replaced: int  # deleted first, with their prompts and masks (replace=true)
    labels_created: int
    objects_created: int
    masks: int
    key_frames: int
    keypoint_frames: int = 0  # (object, frame) pairs with keypoints (COCO keypoints, CVAT skeletons)
    warnings: list[str]


# The registered formats as enums, so that the OpenAPI document (and the studio's generated client)
# lists them and an unknown name is a 422 that names the choices.
ExportFormat = Enum("ExportFormat", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]
ImportFormat = Enum(  # type: ignore[misc]
    "ImportFormat", {name: name for name, spec in FORMATS.items() if spec.importer is not None}, type=str
)


@router.get(
    "/projects/{project_id}/export",
    responses={200: {"content": {"application/zip": {}}, "description": "The dataset as a ZIP"}},
    response_class=StreamingResponse,
)
def export_project(
    *,
    db: DbDep,
    storage: StorageDep,
    project: ProjectDep,
    format: Annotated[ExportFormat, Query(description="The dataset format")] = ExportFormat["coco"],
    include_frames: bool = False,
    include_png_masks: bool = False,
    include_annotator: Annotated[
        bool, Query(description="Name who made each object (COCO attributes.annotator, a CVAT attribute)")
    ] = False,
) -> StreamingResponse:
    """Download the project's masks as a ZIP in a dataset format (streamed as it is written)."""
    name: str = format.value
    dataset = export_dataset(db, storage, project, include_annotator)
    chunks = export_zip_stream(
        dataset, name, ExportOptions(include_frames=include_frames, include_png_masks=include_png_masks)
    )
    try:  # the first chunk surfaces a FormatError as a 4xx rather than a cut-off download
        first = next(chunks)
    except StopIteration:
        first = b""
    except FormatError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc

    def body():  # type: ignore[no-untyped-def]
        yield first
        yield from chunks

    return StreamingResponse(
        body(),
        media_type="application/zip",
        headers={"Content-Disposition": attachment(export_filename(project.name, name))},
    )


class ExportRequest(BaseModel):
    format: ExportFormat = ExportFormat["coco"]  # type: ignore[valid-type]
    include_frames: bool = False
    include_png_masks: bool = False
    include_annotator: bool = False


@router.post("/projects/{project_id}/exports", response_model=JobPublic, status_code=202)
def start_export(*, session: SessionDep, worker: WorkerDep, project: ProjectDep, body: ExportRequest) -> Job:
    """Build the export ZIP on the server as a job (for big projects: progress, cancel, and the
    person keeps working); ``GET /jobs/{id}/file`` downloads it once the job has completed."""
    params = ExportParams(
        project_id=project.id or 0,
        format=body.format.value,
        include_frames=body.include_frames,
        include_png_masks=body.include_png_masks,
        include_annotator=body.include_annotator,
    )
    job = Job(
        project_id=project.id,
        kind=JobKind.export,
        queue=queue_for(JobKind.export),
        params=params.model_dump(mode="json"),
    )
    return worker.enqueue(session, job)


def attachment(filename: str) -> str:
    """A Content-Disposition for any file name: header values are Latin-1, so an ASCII fallback
    plus the UTF-8 name as RFC 5987 ``filename*`` (which browsers prefer)."""
    fallback = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9._-]+", "_", filename)).strip("_.") or "export.zip"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.post("/projects/{project_id}/media/{media_id}/import", response_model=ImportSummary, status_code=201)
async def import_media_annotations(
    *,
    session: SessionDep,
    db: DbDep,
    storage: StorageDep,
    worker: WorkerDep,
    segmentation: SegmentationDep,
    events: EventsDep,
    media: ReadyMediaDep,
    file: Annotated[UploadFile, File(description="CVAT for video or images 1.1 XML, DAVIS PNG(s) or ZIP, COCO JSON")],
    format: Annotated[ImportFormat, Query(description="The annotation file's format")] = ImportFormat["cvat_video"],
    frame: Annotated[Int | None, Query(description="DAVIS single PNG: the frame it belongs to")] = None,
    replace: Annotated[
        bool, Query(description="Delete this media item's objects (with their prompts and masks) first")
    ] = False,
) -> ImportSummary:
    """Import key frames or masks for this media item from an annotation file."""
    name: str = format.value
    data = await file.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise HTTPException(status_code=413, detail="Annotation files are limited to 512 MB")
    if not data:
        raise HTTPException(status_code=422, detail=f"The file is empty; expected a {name} annotation file")
    try:
        result = import_annotations(
            name,
            data,
            file.filename or "upload",
            dataset_media(media, storage),
            project_labels(session, media.project_id),
            frame=frame,
        )
    except FormatError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    if replace:  # a tracking job of the objects about to go stops first
        worker.cancel_media_jobs(media.id or 0)
    counts = apply_import(db, media, result, replace=replace)
    segmentation.forget_media(media.id or 0)  # the engine replays the new key frames
    if replace:
        segmentation.publish_updated(media, [], [0, max(0, media.num_frames - 1)])
    elif result.masks:
        frames = [m.frame_index for m in result.masks]
        segmentation.publish_updated(media, [], [min(frames), max(frames)])
    if counts["objects_replaced"] or counts["objects_created"]:  # any of them: the list is read again
        events.publish(media.project_id, ObjectsUpdated(media_id=media.id or 0, object_ids=[]))
    return ImportSummary(format=name, warnings=result.warnings, **counts)
