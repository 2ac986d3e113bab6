from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter, Header, Request
from sse_starlette.sse import EventSourceResponse

from video_seg_backend.api.deps import ProjectDep, StateDep

router = APIRouter(tags=["events"])


@router.get("/projects/{project_id}/events", response_class=EventSourceResponse)
async def project_events(
    *,
    request: Request,
    state: StateDep,
    project: ProjectDep,
    last_event_id: str | None = Header(default=None, alias="Last-Event-ID"),
) -> EventSourceResponse:
    """Server-Sent Events: media.ready, media.deleted, annotations.updated, objects.updated, job.progress,
    job.finished."""
    assert project.id is not None
    project_id = project.id
    last = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
    queue, missed = state.events.subscribe(project_id, last)

    async def stream() -> AsyncIterator[dict[str, str]]:
        try:
            for event in missed:
                yield event.as_sse()
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=1.0)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        return
                    continue
                yield event.as_sse()
        finally:
            state.events.unsubscribe(project_id, queue)

    # ``ping`` sends a comment line every few seconds: proxies keep the connection open.
    return EventSourceResponse(stream(), ping=int(state.settings.sse_heartbeat_s), headers={"X-Accel-Buffering": "no"})
