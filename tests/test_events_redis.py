"""Events across processes: what one API replica or worker publishes reaches the streams of
every replica through a real Redis on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from tests.conftest import make_settings, png_bytes
from tests.real_services import RedisServer, free_port, redis_server
from video_seg_backend.events import JobFinished, JobProgress, ObjectsUpdated, Published
from video_seg_backend.events.redis_bus import RedisEventBus
from video_seg_backend.main import create_app


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


async def next_events(subscription, count: int, timeout: float = 5) -> list[Published]:  # type: ignore[no-untyped-def]
    return [await asyncio.wait_for(subscription.queue.get(), timeout) for _ in range(count)]


def test_an_event_published_by_one_process_reaches_the_streams_of_another(redis: RedisServer) -> None:
    async def scenario() -> tuple[list[Published], list[Published], bool]:
        worker, replica = RedisEventBus(redis.url, stream="t1"), RedisEventBus(redis.url, stream="t1")
        replica.bind_loop(asyncio.get_running_loop())
        try:
            mine, _ = replica.subscribe(1, None)
            other, _ = replica.subscribe(2, None)
            await asyncio.sleep(0.3)  # the reader is at the stream's end
            worker.publish(1, JobProgress(job_id=4, done=3, total=10, media_id=7, frame=3, frames=[1, 3]))
            worker.publish(None, JobFinished(job_id=5, kind="download-model", media_id=None, status="completed",
                                             error=None, done=1, total=1))  # fmt: skip
            got_mine = await next_events(mine, 2)
            got_other = await next_events(other, 1)
            return got_mine, got_other, other.queue.empty()
        finally:
            worker.close()
            replica.close()

    mine, other, nothing_more = asyncio.run(scenario())
    progress = mine[0].event
    assert isinstance(progress, JobProgress) and progress.project_id == 1
    assert (progress.job_id, progress.done, progress.total, progress.frames) == (4, 3, 10, [1, 3])
    assert [p.event.type for p in mine] == ["job.progress", "job.finished"]
    assert [(p.event.type, p.event.project_id) for p in other] == [("job.finished", 2)]  # a download: everyone
    assert nothing_more  # project 1's progress stays with project 1
    assert mine[1].id == other[0].id  # one event, one id, whichever replica streams it


def test_a_reconnect_to_another_replica_replays_what_it_missed_once(redis: RedisServer) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        first, second = RedisEventBus(redis.url, stream="t2"), RedisEventBus(redis.url, stream="t2")
        second.bind_loop(asyncio.get_running_loop())
        try:
            await asyncio.sleep(0.3)
            for i in range(4):
                first.publish(3, ObjectsUpdated(media_id=1, object_ids=[i]))
            await asyncio.sleep(0.3)  # all four went by before the studio came back
            seen_id = first._redis.xrange("t2")[0][0]  # the studio had the first one
            subscription, missed = second.subscribe(3, seen_id)
            first.publish(3, ObjectsUpdated(media_id=1, object_ids=[99]))
            live = await next_events(subscription, 1)
            await asyncio.sleep(0.2)
            assert subscription.queue.empty()
            return [str(p.event.object_ids) for p in missed], [str(p.event.object_ids) for p in live]
        finally:
            first.close()
            second.close()

    missed, live = asyncio.run(scenario())
    assert missed == ["[1]", "[2]", "[3]"]
    assert live == ["[99]"]


def test_after_redis_comes_back_every_open_stream_is_told_to_resync(redis: RedisServer) -> None:
    async def scenario() -> list[str]:
        bus = RedisEventBus(redis.url, stream="t3")
        bus.bind_loop(asyncio.get_running_loop())
        try:
            subscription, _ = bus.subscribe(8, None)
            await asyncio.sleep(0.3)
            redis.stop()
            bus.publish(8, ObjectsUpdated(media_id=1, object_ids=[1]))  # lost, and says so in the log only
            await asyncio.sleep(1.0)
            redis.start()
            got = await next_events(subscription, 1, timeout=15)
            bus.publish(8, ObjectsUpdated(media_id=1, object_ids=[2]))
            got += await next_events(subscription, 1, timeout=5)
            return [p.event.type for p in got]
        finally:
            bus.close()

    assert asyncio.run(scenario()) == ["resync", "objects.updated"]


def serve(app) -> tuple[uvicorn.Server, threading.Thread, str]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{port}/api/v1"


def test_two_api_replicas_stream_what_either_one_changed(redis: RedisServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, broker_url=redis.url)
    servers = [serve(create_app(settings)) for _ in range(2)]
    (_, _, api_a), (_, _, api_b) = servers
    try:
        with httpx.Client(timeout=30) as http:
            pid = http.post(f"{api_a}/projects", json={"name": "p", "media_type": "image"}).json()["id"]
            with http.stream("GET", f"{api_b}/projects/{pid}/events", timeout=30) as stream:
                time.sleep(0.5)  # B's reader is at the stream's end
                # An upload decoded by replica A: the studio connected to replica B hears of it.
                files = [("files", ("a.png", png_bytes(), "image/png"))]
                assert http.post(f"{api_a}/projects/{pid}/media", files=files).status_code == 201
                event, data = None, None
                for line in stream.iter_lines():
                    if line.startswith("event:"):
                        event = line.split(":", 1)[1].strip()
                    elif line.startswith("data:") and event == "media.ready":
                        data = json.loads(line.split(":", 1)[1])
                        break
        assert data is not None and data["status"] == "ready" and data["project_id"] == pid
    finally:
        for server, thread, _ in servers:
            server.should_exit = True
            thread.join(10)
