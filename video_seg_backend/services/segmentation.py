"""The segmentation service: engine sessions per media item, and the one event that says masks changed.

Clicks (``services/prompts.py``) run in the request thread, never queued behind a propagation;
propagation (``jobs/propagation.py``) runs as a job; undo of a tracking is ``services/tracking_undo.py``.
All of them reach the engines and announce their writes through this class.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.engine import Engine
from sqlmodel import Session

from video_seg_backend.engine.base import EngineSession, KeyFrame, SegmentationEngine
from video_seg_backend.engine.registry import ModelRegistry
from video_seg_backend.events import AnnotationsUpdated, EventBus
from video_seg_backend.models import Media
from video_seg_backend.services.crud import replay_key_frames
from video_seg_backend.services.errors import ModelUnavailable
from video_seg_backend.storage.files import StorageLayout
from video_seg_backend.storage.video import JpegFrameSource


class SegmentationService:
    def __init__(self, db: Engine, storage: StorageLayout, events: EventBus, registry: ModelRegistry) -> None:
        self.db = db
        self.storage = storage
        self.events = events
        self.registry = registry

    def frames(self, media: Media) -> JpegFrameSource:
        return JpegFrameSource(
            self.storage.frames_dir(media.project_id, media.storage_key),
            media.num_frames,
            media.width,
            media.height,
        )

    def key_frames(self, media_id: int, object_ids: Iterable[int] | None = None) -> list[KeyFrame]:
        """Everything a person fixed on this media item, as the engine replays it."""
        with Session(self.db) as session:
            return replay_key_frames(session, media_id, object_ids)

    def engine(self, model: str | None) -> SegmentationEngine:
        try:
            return self.registry.get(model or self.registry.default_key())
        except ValueError as exc:
            raise ModelUnavailable(str(exc)) from exc

    def engine_session(self, media: Media, model: str | None) -> tuple[SegmentationEngine, EngineSession]:
        engine = self.engine(model)
        assert media.id is not None
        media_id = media.id
        session = engine.session(f"media-{media_id}", self.frames(media), lambda: self.key_frames(media_id))
        return engine, session

    def forget_media(self, media_id: int) -> None:
        """Drop cached engine state of a media item (an object or prompts went away in bulk);
        the next click or propagation rebuilds it from the database."""
        for key in self.registry.loaded():
            self.registry.get(key).forget(f"media-{media_id}")

    def publish_updated(self, media: Media, object_ids: Sequence[int], frames: Sequence[int]) -> None:
        """Masks of these objects changed between the first and last of ``frames``: a studio with
        the media item open re-reads them."""
        self.events.publish(
            media.project_id,
            AnnotationsUpdated(media_id=media.id or 0, object_ids=list(object_ids), frames=[min(frames), max(frames)]),
        )
