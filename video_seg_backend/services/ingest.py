"""Uploads: stream to a temporary file under a size limit, identify by content, store, decode.

A request with several files is all-or-nothing: every file is streamed and identified first; only
when all are acceptable are they moved to their folders, and only then are the rows inserted.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePath

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from video_seg_backend.core.config import Settings
from video_seg_backend.events import EventBus, MediaReady
from video_seg_backend.models import Media, MediaStatus, MediaType, Project
from video_seg_backend.services.clips import cut_clips
from video_seg_backend.storage.files import StorageLayout, remove_tree
from video_seg_backend.storage.probe import ACCEPTED_IMAGES, ACCEPTED_VIDEOS, ProbeResult, UnsupportedFile, probe_file
from video_seg_backend.storage.sequence import (
    BadSequence,
    bundle_images,
    decode_sequence_to_frames,
    natural_key,
    probe_sequence,
)
from video_seg_backend.storage.video import decode_video_to_frames, image_to_frame, write_thumbnail

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class UploadTooLarge(ValueError):
    pass


@dataclass
class StagedUpload:
    display_name: str
    temp_path: Path
    size: int
    probe: ProbeResult


def display_name(raw: str | None) -> str:
    """The uploaded name reduced to a harmless base name, for display only (never a path)."""
    name = PurePath((raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if ch.isprintable() and ch not in '<>:"|?*')
    name = name.strip(" .")
    return name[:200] or "upload"


SEQUENCE_TYPE = "application/zip"


def sequence_probe(path: Path, name: str, fps: float | None) -> ProbeResult:
    """A ZIP of frames is a video whose frames are the ZIP's images (``BadSequence`` if it is not)."""
    sequence = probe_sequence(path, name)
    return ProbeResult("video", SEQUENCE_TYPE, ".zip", sequence.width, sequence.height, len(sequence.frames), fps)


async def stage_upload(
    upload: UploadFile,
    storage: StorageLayout,
    max_bytes: int,
    expected: MediaType,
    *,
    frames_allowed: bool = False,
    fps: float | None = None,
) -> StagedUpload:
    """Stream one upload to a temporary file, enforcing ``max_bytes`` as it arrives, then identify it.

    In a video project a ZIP is an image sequence; with ``frames_allowed`` (several files in one
    request) images are staged too, for ``bundle_frames`` to make one sequence of them."""
    name = display_name(upload.filename)
    temp = storage.temp_path()
    size = 0
    try:
        with temp.open("wb") as handle:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(f"'{name}' is larger than the {max_bytes // (1024 * 1024)} MB upload limit.")
                handle.write(chunk)
        with temp.open("rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
        if is_zip and expected == MediaType.video:
            return StagedUpload(name, temp, size, await run_in_threadpool(sequence_probe, temp, name, fps))
        probe = probe_file(temp, name)
        if probe.kind == "image" and expected == MediaType.video and frames_allowed:
            return StagedUpload(name, temp, size, probe)
        if probe.kind != expected.value:
            accepted = ACCEPTED_IMAGES if expected == MediaType.image else ACCEPTED_VIDEOS
            raise UnsupportedFile(
                f"'{name}' is {'an image' if probe.kind == 'image' else 'a video'}, but this is "
                f"{'an image' if expected == MediaType.image else 'a video'} project: upload {accepted}"
                + (
                    " (or an image sequence: a ZIP of numbered frames, or two or more frames at once)."
                    if expected == MediaType.video
                    else "."
                )
            )
        return StagedUpload(name, temp, size, probe)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def bundle_frames(staged: list[StagedUpload], storage: StorageLayout, fps: float | None) -> StagedUpload:
    """Images uploaded together into a video project: one sequence, stored as a ZIP of them.
    Raises ``BadSequence`` (mixed with videos, two frames of one name, sizes that differ)."""
    videos = [item.display_name for item in staged if item.probe.kind != "image"]
    if videos:
        raise BadSequence(
            f"Frames and videos were sent together ({videos[0]}): upload the frames of one sequence "
            "on their own, or the videos on their own."
        )
    names = [item.display_name for item in staged]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate is not None:
        raise BadSequence(f"Two frames are named '{duplicate}': frame names give the order and must differ.")
    ordered = sorted(staged, key=lambda item: natural_key(item.display_name))
    first, last = PurePath(ordered[0].display_name).stem, PurePath(ordered[-1].display_name).stem
    name = f"{first}-{last} ({len(ordered)} frames)"
    target = storage.temp_path(".zip")
    try:
        bundle_images([(item.display_name, item.temp_path) for item in ordered], target)
        probe = sequence_probe(target, name, fps)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    for item in staged:
        item.temp_path.unlink(missing_ok=True)
    return StagedUpload(name, target, target.stat().st_size, probe)


class IngestService:
    def __init__(self, settings: Settings, db: Engine, storage: StorageLayout, events: EventBus) -> None:
        self.settings = settings
        self.db = db
        self.storage = storage
        self.events = events
        # Decoding is CPU-bound; two workers keep uploads flowing without starving the engine.
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest")

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def commit_uploads(
        self, project: Project, staged: list[StagedUpload], clip_seconds: float | None = None
    ) -> list[Media]:
        """Move staged files into place, then insert rows; decode videos in the background (and,
        with ``clip_seconds``, cut each into clips of that length once decoded)."""
        assert project.id is not None
        placed: list[tuple[StagedUpload, str]] = []
        try:
            for item in staged:
                key = self.storage.new_storage_key()
                folder = self.storage.media_dir(project.id, key)
                folder.mkdir(parents=True, exist_ok=False)
                os.replace(item.temp_path, folder / f"original{item.probe.extension}")
                placed.append((item, key))
            if project.media_type == MediaType.image:
                for item, key in placed:
                    self._prepare_image(project.id, key, item)
        except BaseException:
            for _item, key in placed:
                remove_tree(self.storage.media_dir(project.id, key))
            for item in staged:
                item.temp_path.unlink(missing_ok=True)
            raise

        rows: list[Media] = []
        with Session(self.db) as session:
            for item, key in placed:
                is_image = item.probe.kind == "image"
                media = Media(
                    project_id=project.id,
                    kind=MediaType(item.probe.kind),
                    name=item.display_name,
                    storage_key=key,
                    original_file=f"original{item.probe.extension}",
                    content_type=item.probe.content_type,
                    size_bytes=item.size,
                    width=item.probe.width,
                    height=item.probe.height,
                    num_frames=item.probe.num_frames,
                    fps=item.probe.fps,
                    status=MediaStatus.ready if is_image else MediaStatus.processing,
                )
                session.add(media)
                rows.append(media)
            session.commit()
            for media in rows:
                session.refresh(media)
        for media in rows:
            if media.status == MediaStatus.ready:
                self._publish_ready(media)
            else:
                self._pool.submit(self._decode_video, media.id, clip_seconds)
        return rows

    def _prepare_image(self, project_id: int, key: str, item: StagedUpload) -> None:
        folder = self.storage.media_dir(project_id, key)
        frames = self.storage.frames_dir(project_id, key)
        image_to_frame(folder / f"original{item.probe.extension}", frames, self.settings.frame_jpeg_quality)
        write_thumbnail(
            self.storage.frame_path(project_id, key, 0),
            self.storage.thumbnail_path(project_id, key),
            self.settings.thumbnail_size,
        )

    def _decode_video(self, media_id: int | None, clip_seconds: float | None = None) -> None:
        with Session(self.db) as session:
            media = session.get(Media, media_id)
            if media is None:
                return
            project_id, key = media.project_id, media.storage_key
            source = self.storage.media_dir(project_id, key) / media.original_file
        try:
            decode = decode_sequence_to_frames if source.suffix == ".zip" else decode_video_to_frames
            count, width, height = decode(
                source, self.storage.frames_dir(project_id, key), self.settings.frame_jpeg_quality
            )
            write_thumbnail(
                self.storage.frame_path(project_id, key, 0),
                self.storage.thumbnail_path(project_id, key),
                self.settings.thumbnail_size,
            )
            status, error = MediaStatus.ready, None
        except Exception as exc:  # a damaged stream fails this media item, not the server
            log.warning("decoding media %s failed: %s", media_id, exc)
            count, width, height = 0, 0, 0
            status, error = MediaStatus.failed, f"Decoding failed: {exc}"
        with Session(self.db) as session:
            media = session.get(Media, media_id)
            if media is None:  # deleted while decoding
                remove_tree(self.storage.media_dir(project_id, key))
                return
            media.status, media.error = status, error
            if status == MediaStatus.ready:
                media.num_frames, media.width, media.height = count, width, height
            session.add(media)
            session.commit()
            session.refresh(media)
            self._publish_ready(media)
        if clip_seconds and status == MediaStatus.ready:
            self._cut(media, clip_seconds)

    def _cut(self, media: Media, seconds: float) -> None:
        try:
            cut_clips(self.db, self.storage, self.events, media, seconds, self.settings.thumbnail_size)
        except ValueError as exc:  # too short for one clip, or no frame rate: the video stays whole
            log.info("media %s not cut into clips: %s", media.id, exc)

    def _publish_ready(self, media: Media) -> None:
        assert media.id is not None
        self.events.publish(
            media.project_id,
            MediaReady(media_id=media.id, status=media.status, error=media.error, num_frames=media.num_frames),
        )
