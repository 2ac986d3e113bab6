"""Long videos cut into fixed-length clips, each its own media item that remembers its source and
start, so that action timestamps are exported in the source video's seconds.

A clip is made from the source's decoded frames (the frame files are linked, not re-encoded:
exact frames, no second lossy encoding, no decoding time); its original file is a ZIP of them,
as an uploaded image sequence's is. All clips or none: folders first, then the rows at once.
"""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from sqlalchemy.engine import Engine
from sqlmodel import Session

from video_seg_backend.actions.keyframes import NoFrameRate
from video_seg_backend.events import EventBus, MediaReady
from video_seg_backend.models import Clip, Media, MediaStatus, MediaType
from video_seg_backend.storage.files import FRAME_NAME, StorageLayout, remove_tree, staged_dir
from video_seg_backend.storage.video import write_thumbnail

SEQUENCE_TYPE = "application/zip"


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed: a copy costs only disk
        shutil.copyfile(source, target)


def cut_clips(
    db: Engine, storage: StorageLayout, events: EventBus, media: Media, seconds: float, thumbnail_size: int = 320
) -> list[Media]:
    """The clips of ``media``, ``seconds`` long each (the last one what remains)."""
    if media.kind != MediaType.video or media.status != MediaStatus.ready:
        raise ValueError(f"'{media.name}' is not a decoded video")
    if not media.fps:
        raise NoFrameRate(f"'{media.name}' has no frame rate, so it cannot be cut into seconds")
    per_clip = max(1, round(seconds * media.fps))
    if media.num_frames <= per_clip:
        raise ValueError(
            f"'{media.name}' is {media.num_frames / media.fps:.1f} s long: not longer than one {seconds:g} s clip"
        )
    with Session(db) as session:
        parent = session.get(Clip, media.id)
        source_name = parent.source_name if parent else media.name
        source_start = parent.start_seconds if parent else 0.0
    stem = PurePosixPath(media.name).stem or "video"
    placed: list[tuple[str, int, int]] = []
    sizes: dict[str, int] = {}
    source_frames = storage.frames_dir(media.project_id, media.storage_key)
    try:
        for first in range(0, media.num_frames, per_clip):
            last = min(media.num_frames, first + per_clip)
            key = storage.new_storage_key()
            folder = storage.media_dir(media.project_id, key)
            folder.mkdir(parents=True, exist_ok=False)
            placed.append((key, first, last))
            with staged_dir(storage.frames_dir(media.project_id, key)) as tmp:
                for index in range(first, last):
                    _link(source_frames / FRAME_NAME.format(index), tmp / FRAME_NAME.format(index - first))
            with zipfile.ZipFile(folder / ".original.zip.part", "w", compression=zipfile.ZIP_STORED) as archive:
                for index in range(last - first):
                    archive.write(storage.frame_path(media.project_id, key, index), arcname=FRAME_NAME.format(index))
            os.replace(folder / ".original.zip.part", folder / "original.zip")
            sizes[key] = (folder / "original.zip").stat().st_size
            write_thumbnail(
                storage.frame_path(media.project_id, key, 0),
                storage.thumbnail_path(media.project_id, key),
                thumbnail_size,
            )
        rows = _insert_rows(db, media, placed, sizes, (source_name, source_start), stem)
    except BaseException:
        for key, _, _ in placed:
            remove_tree(storage.media_dir(media.project_id, key))
        raise
    for clip in rows:
        events.publish(
            clip.project_id,
            MediaReady(media_id=clip.id or 0, status=clip.status, error=None, num_frames=clip.num_frames),
        )
    return rows


def _insert_rows(
    db: Engine,
    media: Media,
    placed: list[tuple[str, int, int]],
    sizes: dict[str, int],
    source: tuple[str, float],
    stem: str,
) -> list[Media]:
    assert media.fps
    source_name, source_start = source
    rows: list[Media] = []
    with Session(db) as session:
        for key, first, last in placed:
            start = first / media.fps
            clip = Media(
                project_id=media.project_id,
                kind=MediaType.video,
                name=f"{stem} {start:g}-{last / media.fps:g}s",
                storage_key=key,
                original_file="original.zip",
                content_type=SEQUENCE_TYPE,
                size_bytes=sizes[key],
                width=media.width,
                height=media.height,
                num_frames=last - first,
                fps=media.fps,
                status=MediaStatus.ready,
            )
            session.add(clip)
            session.flush()
            session.add(
                Clip(
                    media_id=clip.id or 0,
                    source_media_id=media.id,
                    source_name=source_name,
                    start_seconds=source_start + start,
                )
            )
            rows.append(clip)
        session.commit()
        for clip in rows:
            session.refresh(clip)
    return rows
