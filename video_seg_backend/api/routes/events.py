from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from sqlmodel import Session
from sse_starlette.sse import EventSourceResponse

from video_seg_backend.api.deps import DbDep, EventsDep, SettingsDep
from video_seg_backend.events import StudioEvent
from video_seg_backend.models import Int, Project

router = APIRouter(tags=["events"])


def existing_project_id(project_id: Int, db: DbDep) -> int:
    """The project checked with a session of its own, closed at once: a stream is open for hours,
    and one pooled database connection held per stream ran the pool dry at 15 streams."""
    with Session(db) as session:
        if session.get(Project, project_id) is None:
            raise HTTPException(status_code=404, detail="Project not found")
    return project_id


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
    project_id: Annotated[int, Depends(existing_project_id)],
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
) -> EventSourceResponse:
    """Server-Sent Events: media.ready, media.deleted, annotations.updated, objects.updated, job.progress,
    job.finished, and resync (events were dropped: re-read)."""
    subscription, missed = events.subscribe(project_id, last_event_id)

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
