"""The event bus across processes: every API replica and worker publishes to one Redis stream,
and every API replica reads it and feeds its own open SSE streams.

A Redis stream (not pub/sub) because it keeps the last events with their ids: a studio that
reconnects to another replica with ``Last-Event-ID`` gets what it missed from there. Ids are the
stream's own (``<ms>-<seq>``). When Redis is away, publishing logs and carries on (a job must not
fail for want of a progress event) and, once the reader is back, every open stream gets one
``resync`` so that no studio keeps a view that silently missed events.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import cast

import redis
from pydantic import TypeAdapter

from video_seg_backend.events.bus import Published, Subscribers, Subscription
from video_seg_backend.events.types import StudioEvent

log = logging.getLogger(__name__)
STREAM = "vss:events"
_ALL_PROJECTS = "*"  # an event without a project (a model download): every open stream
_events = TypeAdapter(StudioEvent)
# A stream entry as the client returns it with decode_responses: (id, fields).
Entry = tuple[str, dict[str, str]]


def _order(stream_id: str) -> tuple[int, ...]:
    ms, _, seq = stream_id.partition("-")
    return int(ms), int(seq or 0)


def _parse_id(value: str | None) -> str | None:
    if not value:
        return None
    ms, _, seq = value.partition("-")
    return value if ms.isdigit() and (not seq or seq.isdigit()) else None


class RedisEventBus:
    def __init__(self, url: str, replay_size: int = 1000, max_queued: int = 10_000, stream: str = STREAM) -> None:
        self._redis = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, health_check_interval=10)
        self._stream = stream
        # The stream is shared by all projects: keep enough for a reconnect to catch up on a busy one.
        self._max_len = max(replay_size * 10, 1000)
        self.subscribers = Subscribers(max_queued)
        self._stop = threading.Event()
        self._reader: threading.Thread | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start feeding this process's streams (API replicas; a worker only publishes)."""
        self.subscribers.bind_loop(loop)
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, name="events-redis-reader", daemon=True)
            self._reader.start()

    def publish(self, project_id: int | None, event: StudioEvent) -> None:
        target = _ALL_PROJECTS if project_id is None else str(project_id)
        try:
            self._redis.xadd(
                self._stream,
                {"project": target, "event": event.model_dump_json()},
                maxlen=self._max_len,
                approximate=True,
            )
        except redis.RedisError as exc:
            log.warning("event %s for project %s not published: %s", event.type, target, exc)

    def subscribe(self, project_id: int, last_event_id: str | None) -> tuple[Subscription, list[Published]]:
        after = _parse_id(last_event_id)
        with self.subscribers.lock:
            subscription = self.subscribers.add(project_id)
        missed: list[Published] = []
        if after is not None:
            try:
                entries = cast(list[Entry], self._redis.xrange(self._stream, min=f"({after}", max="+"))
            except redis.RedisError as exc:
                log.warning("no replay after %s: %s", after, exc)
                entries = []
            missed = [p for p in (self._published(i, f, project_id) for i, f in entries) if p is not None]
        # The reader may deliver some of these too: the subscription skips what the replay sent.
        subscription.replayed_up_to = missed[-1].order if missed else ()
        return subscription, missed

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscribers.remove(subscription)

    def forget_project(self, project_id: int) -> None:
        """Its events age out of the stream; a deleted project's stream is refused by the route."""

    def close(self) -> None:
        self._stop.set()
        if self._reader is not None:
            self._reader.join(5)
            self._reader = None
        self._redis.close()

    @staticmethod
    def _published(stream_id: str, fields: dict[str, str], project_id: int) -> Published | None:
        if fields.get("project") not in (str(project_id), _ALL_PROJECTS):
            return None
        event = _events.validate_json(fields["event"]).model_copy(update={"project_id": project_id})
        return Published(stream_id, _order(stream_id), event)

    def _read(self) -> None:
        last = "$"
        lost = False
        while not self._stop.is_set():
            try:
                if last == "$":  # the position to read on from, so no entry between two reads is lost
                    newest = cast(list[Entry], self._redis.xrevrange(self._stream, count=1))
                    last = newest[0][0] if newest else "0-0"
                reply = self._redis.xread({self._stream: last}, block=1000, count=500)
                batches = cast(list[tuple[str, list[Entry]]], reply or [])
            except redis.RedisError as exc:
                if not lost:
                    log.warning("event stream unreachable, retrying: %s", exc)
                lost = True
                self._stop.wait(0.5)
                continue
            if lost:  # events may have gone by meanwhile: every open stream re-reads
                lost = False
                self.subscribers.resync_all(last, _order(last))
            for _stream, entries in batches:
                for stream_id, fields in entries:
                    last = stream_id
                    self._dispatch(stream_id, fields)

    def _dispatch(self, stream_id: str, fields: dict[str, str]) -> None:
        target = fields.get("project")
        projects = self.subscribers.projects() if target == _ALL_PROJECTS else [int(target or 0)]
        for project_id in projects:
            published = self._published(stream_id, fields, project_id)
            if published is not None:
                self.subscribers.deliver(project_id, published)
