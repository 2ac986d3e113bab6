"""The actions of a project as the AVA format reads them (formats/ava.py never touches the database)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from video_seg_backend.actions.boxes import boxes_at
from video_seg_backend.actions.keyframes import NoFrameRate, clip_start, keyframe_hz, keyframes
from video_seg_backend.actions.store import accepted_labels, vocabulary
from video_seg_backend.formats.ava import AvaKeyframe, AvaPerson, AvaSource
from video_seg_backend.formats.base import DatasetMedia, FormatError
from video_seg_backend.models import Clip, Media, Project, TrackedObject


def video_id(name: str) -> str:
    """AVA names a video by its YouTube id; here the source file's name without extension."""
    return PurePosixPath(name.replace("\\", "/")).stem or "video"


def ava_source(db: Engine, project: Project) -> AvaSource:
    with Session(db) as session:
        entries = vocabulary(session, project.id or 0)

    def source_video(item: DatasetMedia) -> str:
        with Session(db) as session:
            media = session.get(Media, item.id)
            return video_id(clip_start(session, media)[0]) if media is not None else item.stem

    def keyframes_of(item: DatasetMedia) -> Iterator[AvaKeyframe]:
        with Session(db) as session:
            media = session.get(Media, item.id)
            if media is None or session.exec(select(Clip).where(Clip.source_media_id == media.id)).first():
                return  # a video cut into clips is exported as its clips, not twice
            _, start = clip_start(session, media)
            try:
                frames = keyframes(media, keyframe_hz(session, media), start)
            except NoFrameRate as exc:
                raise FormatError(str(exc)) from None
            labels = accepted_labels(session, media.id or 0)
            boxes = boxes_at(session, media.id or 0, [k.frame_index for k in frames])
            tracks = {
                o.id: o.track_id for o in session.exec(select(TrackedObject).where(TrackedObject.media_id == media.id))
            }
        for keyframe in frames:
            persons = [
                AvaPerson(tracks[obj], boxes[(obj, frame)], actions)
                for (obj, frame), actions in sorted(labels.items())
                if frame == keyframe.frame_index and (obj, frame) in boxes and obj in tracks
            ]
            yield AvaKeyframe(keyframe.frame_index, round(keyframe.source_seconds), persons)

    return AvaSource(entries, source_video, keyframes_of)
