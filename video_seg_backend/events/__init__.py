"""Events: typed payloads (``types``) and the per-project bus that carries them to SSE streams."""

from video_seg_backend.events.bus import EventBus, Subscription
from video_seg_backend.events.types import (
    AnnotationsUpdated,
    JobFinished,
    JobProgress,
    MediaDeleted,
    MediaReady,
    ObjectsUpdated,
    Resync,
    StudioEvent,
)

__all__ = [
    "AnnotationsUpdated",
    "EventBus",
    "JobFinished",
    "JobProgress",
    "MediaDeleted",
    "MediaReady",
    "ObjectsUpdated",
    "Resync",
    "StudioEvent",
    "Subscription",
]
