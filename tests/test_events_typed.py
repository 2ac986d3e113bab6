"""Event payloads are typed models, named in the OpenAPI document, and a stream that falls behind
is told to re-read instead of silently missing events."""

from __future__ import annotations

import asyncio

from video_seg_backend.events import AnnotationsUpdated, InProcessEventBus, ObjectsUpdated

EVENT_TYPES = {
    "media.ready": "MediaReady",
    "media.deleted": "MediaDeleted",
    "annotations.updated": "AnnotationsUpdated",
    "objects.updated": "ObjectsUpdated",
    "job.progress": "JobProgress",
    "job.finished": "JobFinished",
    "resync": "Resync",
}


def test_the_openapi_document_types_every_event(client):
    doc = client.get("/api/v1/openapi.json").json()
    route = doc["paths"]["/api/v1/projects/{project_id}/events"]["get"]
    schema = route["responses"]["200"]["content"]["text/event-stream"]["schema"]
    assert schema["discriminator"]["propertyName"] == "type"
    mapping = {key: ref.rsplit("/", 1)[-1] for key, ref in schema["discriminator"]["mapping"].items()}
    assert mapping == EVENT_TYPES
    progress = doc["components"]["schemas"]["JobProgress"]
    assert {"job_id", "done", "total", "type"} <= set(progress["required"])
    assert progress["properties"]["type"]["const"] == "job.progress"


def test_a_stream_that_falls_behind_gets_one_resync_then_the_events_after_it():
    async def scenario() -> list[tuple[str, int]]:
        bus = InProcessEventBus(max_queued=3)
        bus.bind_loop(asyncio.get_running_loop())
        subscription, _ = bus.subscribe(5, None)
        for frame in range(4):  # one more than the stream's queue holds, none read yet
            bus.publish(5, AnnotationsUpdated(media_id=1, object_ids=[1], frames=[frame, frame]))
        await asyncio.sleep(0.01)  # the loop delivers what was published from "another thread"
        bus.publish(5, ObjectsUpdated(media_id=1, object_ids=[2]))
        await asyncio.sleep(0.01)
        got = []
        while not subscription.queue.empty():
            published = subscription.queue.get_nowait()
            got.append((published.event.type, int(published.id)))
            assert published.event.project_id == 5
        return got

    (resync, after) = asyncio.run(scenario())
    # The stale backlog is gone: the re-read covers it. The resync takes the id of the newest event
    # it stands for, so a reconnect from there does not replay them either.
    assert resync[0] == "resync" and after == ("objects.updated", resync[1] + 1)


def test_replay_after_reconnect_carries_typed_payloads():
    bus = InProcessEventBus()
    bus.publish(9, ObjectsUpdated(media_id=3, object_ids=[4]))
    subscription, missed = bus.subscribe(9, last_event_id="0")
    bus.unsubscribe(subscription)
    (sse,) = [p.as_sse() for p in missed]
    assert sse["event"] == "objects.updated"
    assert sse["data"] == '{"project_id":9,"type":"objects.updated","media_id":3,"object_ids":[4]}'
