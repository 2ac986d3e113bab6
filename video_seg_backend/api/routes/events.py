from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Header, Request
from sse_starlette.sse import EventSourceResponse

from video_seg_backend.api.deps import EventsDep, ProjectDep, SettingsDep
from video_seg_backend.events import StudioEvent

router = APIRouter(tags=["events"])


class EventStream(EventSourceResponse):
    # Declared on the class so that the OpenAPI document files the event schemas under this type.
    media_type = "text/event-stream"


@router.get(
    "/projects/{project_id}/events",
    response_class=EventStream,
    responses={
        200: {"model": StudioEvent, "description": "A stream of events; each `data:` line is one of these"},
        # Refusals are JSON like every route's; declared without a model, which FastAPI would file
        # under this route's text/event-stream.
        "4XX": {
            "description": "The request cannot be served as sent; `detail` says why",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
        },
    },
)
async def project_events(
    *,
    request: Request,
    events: EventsDep,
    settings: SettingsDep,
    project: ProjectDep,
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
) -> EventSourceResponse:
    """Server-Sent Events: media.ready, media.deleted, annotations.updated, objects.updated, job.progress,
    job.finished, and resync (events were dropped: re-read)."""
    assert project.id is not None
    subscription, missed = events.subscribe(project.id, last_event_id)

    async def stream() -> AsyncIterator[dict[str, str]]:
        try:
            for published in missed:
                yield published.as_sse()
            while True:
                try:
                    published = await asyncio.wait_for(subscription.queue.get(), timeout=1.0)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    continue
                yield published.as_sse()
        finally:
            events.unsubscribe(subscription)

    # ``ping`` sends a comment line every few seconds: proxies keep the connection open.
    return EventStream(stream(), ping=int(settings.sse_heartbeat_s), headers={"X-Accel-Buffering": "no"})
