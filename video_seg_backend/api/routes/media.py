from __future__ import annotations

from pathlib import Path

import cv2
from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response
from python_multipart.multipart import parse_options_header
from sqlmodel import Session, col, func, select
from starlette.datastructures import UploadFile
from starlette.types import Message

from video_seg_backend.api.deps import (
    DbDep,
    EventsDep,
    IngestDep,
    MediaDep,
    ProjectDep,
    SegmentationDep,
    SessionDep,
    SettingsDep,
    StorageDep,
    WorkerDep,
)
from video_seg_backend.events import MediaDeleted
from video_seg_backend.models import Annotation, Int, Label, Media, MediaPublic, TrackedObject
from video_seg_backend.services.ingest import StagedUpload, UploadTooLarge, bundle_frames, stage_upload
from video_seg_backend.services.preview import render_annotated
from video_seg_backend.storage.files import StorageLayout, remove_tree
from video_seg_backend.storage.probe import UnsupportedFile
from video_seg_backend.storage.sequence import BadSequence

router = APIRouter(prefix="/projects/{project_id}/media", tags=["media"])
# Frames never change once decoded; a week of browser caching makes scrubbing free the second time.
FRAME_CACHE = "public, max-age=604800, immutable"


def media_public(session: SessionDep, media: Media) -> MediaPublic:
    annotated = session.exec(
        select(func.count(func.distinct(Annotation.frame_index))).where(
            Annotation.media_id == media.id, Annotation.area > 0
        )
    ).one()
    objects = session.exec(
        select(func.count()).select_from(TrackedObject).where(TrackedObject.media_id == media.id)
    ).one()
    return MediaPublic.model_validate(media, update={"annotated_frames": annotated, "object_count": objects})


@router.get("", response_model=list[MediaPublic])
def list_media(*, session: SessionDep, project: ProjectDep) -> list[MediaPublic]:
    """List the project's media items in upload order."""
    rows = session.exec(select(Media).where(Media.project_id == project.id).order_by(col(Media.id))).all()
    return [media_public(session, m) for m in rows]


UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                        "fps": {"type": "number", "description": "Frame rate of an image sequence (ZIP or frames)"},
                        "clip_seconds": {
                            "type": "number",
                            "description": "Also cut each video into clips of this many seconds once decoded",
                        },
                    },
                }
            }
        },
    }
}


class SizeLimited:
    """The request, whose body stops with ``UploadTooLarge`` once ``limit`` bytes have arrived, so an
    oversized upload is cut off while it streams instead of after it filled the disk. Keeps the
    body's last bytes, to tell a body cut off before its closing boundary from one with no files."""

    def __init__(self, request: Request, limit: int) -> None:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + 64 * 1024:
            raise UploadTooLarge(f"The upload is larger than the {limit // (1024 * 1024)} MB upload limit.")
        self.received = 0
        self.tail = b""
        self._source, self._limit = request, limit
        self.request = Request(request.scope, self._receive)

    async def _receive(self) -> Message:
        message = await self._source.receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            self.received += len(body)
            self.tail = (self.tail + body)[-256:]
            if self.received > self._limit + 64 * 1024:  # room for the multipart headers
                raise UploadTooLarge(f"The upload is larger than the {self._limit // (1024 * 1024)} MB upload limit.")
        return message

    def cut_off(self) -> bool:
        """Whether a multipart body ended without its closing ``--boundary--`` delimiter."""
        kind, options = parse_options_header(self._source.headers.get("content-type", ""))
        boundary = options.get(b"boundary")
        if not kind.startswith(b"multipart/") or not boundary or self.received == 0:
            return False
        return b"--" + boundary + b"--" not in self.tail


@router.post("", response_model=list[MediaPublic], status_code=201, openapi_extra=UPLOAD_BODY)
async def upload_media(
    *,
    request: Request,
    settings: SettingsDep,
    storage: StorageDep,
    ingest: IngestDep,
    db: DbDep,
    project: ProjectDep,
) -> list[MediaPublic]:
    """Upload one or more files (multipart field ``files``); videos decode in the background.

    In a video project a ZIP of numbered frames, or two or more frames sent together, is one video."""
    limit = settings.max_upload_bytes
    try:
        body = SizeLimited(request, limit)
        form = await body.request.form(max_files=1000)
    except UploadTooLarge as exc:
        raise HTTPException(status_code=413, detail=str(exc)) from exc
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if body.cut_off():  # a file cut short may be missing from the form, or short: store none
        await form.close()
        raise HTTPException(
            status_code=400,
            detail=f"The upload stopped after {body.received} bytes, before the end of its multipart body "
            "(a dropped connection?): nothing was stored; send the files again",
        )
    if not uploads:
        await form.close()
        raise HTTPException(status_code=422, detail="Send one or more files in the multipart field 'files'")
    try:
        fps = _positive(form.get("fps"), "fps", "frames per second", 1000)
        clip_seconds = _positive(form.get("clip_seconds"), "clip_seconds", "seconds", 3600)
        if clip_seconds is not None and clip_seconds < 1:  # thousands of one-frame items help nobody
            raise HTTPException(status_code=422, detail=f"clip_seconds must be at least 1, not {clip_seconds:g}")
    except HTTPException:
        await form.close()
        raise
    frames_allowed = len(uploads) > 1
    staged: list[StagedUpload] = []
    try:
        for upload in uploads:
            staged.append(
                await stage_upload(upload, storage, limit, project.media_type, frames_allowed=frames_allowed, fps=fps)
            )
        if any(item.probe.kind == "image" for item in staged) and project.media_type.value == "video":
            staged = [await run_in_threadpool(bundle_frames, staged, storage, fps)]
    except BadSequence as exc:
        _discard(staged)
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except UploadTooLarge as exc:
        _discard(staged)
        raise HTTPException(status_code=413, detail=str(exc)) from exc
    except UnsupportedFile as exc:
        _discard(staged)
        raise HTTPException(status_code=415, detail=str(exc)) from exc
    except BaseException:
        _discard(staged)
        raise
    finally:
        await form.close()
    rows = ingest.commit_uploads(project, staged, clip_seconds)
    with Session(db) as session:
        return [media_public(session, m) for m in rows]


def _positive(raw: object, name: str, unit: str, most: float) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        value = float(str(raw))
    except ValueError:
        value = float("nan")
    if not 0 < value <= most:  # NaN fails this too
        raise HTTPException(status_code=422, detail=f"{name} must be a number of {unit} in (0, {most:g}], not {raw!r}")
    return value


def _discard(staged: list[StagedUpload]) -> None:
    for item in staged:
        item.temp_path.unlink(missing_ok=True)


@router.get("/{media_id}", response_model=MediaPublic)
def get_media(*, session: SessionDep, media: MediaDep) -> MediaPublic:
    """Metadata of one media item."""
    return media_public(session, media)


@router.delete("/{media_id}", status_code=204)
def delete_media(
    *,
    session: SessionDep,
    storage: StorageDep,
    worker: WorkerDep,
    segmentation: SegmentationDep,
    events: EventsDep,
    media: MediaDep,
) -> None:
    """Delete a media item with its objects, prompts, masks and files."""
    assert media.id is not None
    folder = storage.media_dir(media.project_id, media.storage_key)
    media_id, project_id, name = media.id, media.project_id, media.name
    worker.cancel_media_jobs(media_id)
    session.delete(media)
    session.commit()
    segmentation.forget_media(media_id)
    remove_tree(folder)
    # A studio with it open (another tab) says so, instead of failing on the next click.
    events.publish(project_id, MediaDeleted(media_id=media_id, name=name))


@router.get(
    "/{media_id}/file",
    response_class=FileResponse,
    responses={200: {"content": {"image/*": {}, "video/*": {}}, "description": "The file as uploaded"}},
)
def get_original(*, storage: StorageDep, media: MediaDep) -> FileResponse:
    """The original uploaded file."""
    path = storage.media_dir(media.project_id, media.storage_key) / media.original_file
    return FileResponse(path, media_type=media.content_type, filename=media.name)


@router.get("/{media_id}/thumbnail", response_class=FileResponse, responses={200: {"content": {"image/jpeg": {}}}})
def get_thumbnail(*, storage: StorageDep, media: MediaDep) -> FileResponse:
    """A small JPEG for the gallery."""
    path = storage.thumbnail_path(media.project_id, media.storage_key)
    if not path.exists():
        raise HTTPException(status_code=404, detail=f"No thumbnail yet: the media is {media.status.value}")
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=3600"})


def _frame_path(storage: StorageLayout, media: Media, index: int) -> Path:
    if media.status != "ready":
        raise HTTPException(status_code=409, detail=f"Frames are not ready: the media is {media.status.value}")
    if not 0 <= index < media.num_frames:
        raise HTTPException(
            status_code=404,
            detail=f"Frame {index} is out of range: this media has frames 0..{media.num_frames - 1}",
        )
    return storage.frame_path(media.project_id, media.storage_key, index)


@router.get("/{media_id}/frames/{index}", response_class=FileResponse, responses={200: {"content": {"image/jpeg": {}}}})
def get_frame(*, storage: StorageDep, media: MediaDep, index: Int) -> FileResponse:
    """Frame ``index`` (from 0) as JPEG."""
    return FileResponse(
        _frame_path(storage, media, index), media_type="image/jpeg", headers={"Cache-Control": FRAME_CACHE}
    )


@router.get(
    "/{media_id}/frames/{index}/annotated", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}}
)
def get_annotated_frame(
    *, session: SessionDep, storage: StorageDep, media: MediaDep, index: Int, hidden: str | None = None
) -> Response:
    """Frame ``index`` with every object's mask drawn in its label colour (``hidden``: object ids)."""
    path = _frame_path(storage, media, index)
    hide = {int(v) for v in hidden.split(",") if v.strip().isdigit()} if hidden else set()
    rows = session.exec(
        select(Annotation, Label.color)
        .join(TrackedObject, col(TrackedObject.id) == Annotation.object_id)
        .join(Label, col(Label.id) == TrackedObject.label_id)
        .where(Annotation.media_id == media.id, Annotation.frame_index == index, Annotation.area > 0)
        .order_by(col(TrackedObject.track_id))
    ).all()
    masks = [(a.rle_counts, a.height, a.width, color) for a, color in rows if a.object_id not in hide]
    frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if frame is None:
        raise HTTPException(status_code=500, detail=f"Frame {index} is missing on disk")
    # Annotated previews change whenever masks change: let the browser revalidate each time.
    return Response(render_annotated(frame, masks), media_type="image/jpeg", headers={"Cache-Control": "no-cache"})
