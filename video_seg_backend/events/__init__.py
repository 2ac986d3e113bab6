"""Events: typed payloads (``types``) and the per-project bus that carries them to SSE streams,
in process (``bus``) or across processes through Redis (``redis_bus``)."""

from __future__ import annotations

from video_seg_backend.core.config import Settings
from video_seg_backend.events.bus import EventBus, InProcessEventBus, Published, Subscription
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


def build_event_bus(settings: Settings) -> EventBus:
    """Redis when a broker is configured (several processes share the events), else in process."""
    if settings.broker_url:
        from video_seg_backend.events.redis_bus import RedisEventBus

        return RedisEventBus(settings.broker_url, settings.sse_replay_events, settings.sse_queue_events)
    return InProcessEventBus(settings.sse_replay_events, settings.sse_queue_events)


__all__ = [
    "AnnotationsUpdated",
    "EventBus",
    "InProcessEventBus",
    "JobFinished",
    "JobProgress",
    "MediaDeleted",
    "MediaReady",
    "ObjectsUpdated",
    "Published",
    "Resync",
    "StudioEvent",
    "Subscription",
    "build_event_bus",
]
