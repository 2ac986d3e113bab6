"""Keyframes for action labelling: one frame per 1/hz seconds (1 Hz by default, AVA's rate), and
the time of each in the source video (a clip starts where it was cut)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from video_seg_backend.models import Clip, KeyframeRate, Media

DEFAULT_HZ = 1.0


@dataclass(frozen=True)
class Keyframe:
    frame_index: int
    seconds: float  # in the media item, from its first frame
    source_seconds: float  # in the source video (a clip's start added)


class NoFrameRate(ValueError):
    pass


def keyframe_hz(session: Session, media: Media) -> float:
    """The media item's own rate, else the project's, else 1 Hz."""
    rows = session.exec(
        select(KeyframeRate).where(
            KeyframeRate.project_id == media.project_id,
            (col(KeyframeRate.media_id) == media.id) | col(KeyframeRate.media_id).is_(None),
        )
    ).all()
    own = next((r.hz for r in rows if r.media_id == media.id), None)
    project = next((r.hz for r in rows if r.media_id is None), None)
    return own or project or DEFAULT_HZ


def clip_start(session: Session, media: Media) -> tuple[str, float]:
    """(video id, start seconds) as exports name them: a clip's source, else the item itself."""
    clip = session.get(Clip, media.id)
    if clip is not None:
        return clip.source_name, clip.start_seconds
    return media.name, 0.0


def keyframes(media: Media, hz: float, start: float = 0.0) -> list[Keyframe]:
    """Every 1/hz seconds from the first frame, as long as a frame exists there."""
    if not media.fps:
        raise NoFrameRate(f"'{media.name}' has no frame rate, so its keyframe seconds are unknown; upload it with fps")
    duration = media.num_frames / media.fps
    result = []
    step = 0
    while (seconds := step / hz) < duration - 1e-9:
        frame = min(media.num_frames - 1, round(seconds * media.fps))
        result.append(Keyframe(frame, seconds, start + seconds))
        step += 1
    return result
