"""Per-project event bus behind ``GET /projects/{pid}/events`` (Server-Sent Events).

Publishing is thread-safe (the job worker and the ingest threads publish); each project keeps its
last events in a ring buffer so a studio that reconnects with ``Last-Event-ID`` catches up.
Event ids increase across restarts (they start from the boot time in microseconds), so an id from
before a restart never hides newer events. A subscriber that reads too slowly is never dropped
from silently: its backlog is replaced by one ``resync`` event, and the studio re-reads.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from video_seg_backend.events.types import Resync, StudioEvent


@dataclass(frozen=True)
class Published:
    """An event as streamed: its id (for Last-Event-ID) and its payload."""

    id: int
    event: StudioEvent

    def as_sse(self) -> dict[str, str]:
        return {"id": str(self.id), "event": self.event.type, "data": self.event.model_dump_json()}


class Subscription:
    """One open stream's queue of events. Only touched from the event loop's thread."""

    def __init__(self, project_id: int, max_queued: int) -> None:
        self.project_id = project_id
        self.queue: asyncio.Queue[Published] = asyncio.Queue(maxsize=max_queued)

    def offer(self, published: Published) -> None:
        try:
            self.queue.put_nowait(published)
        except asyncio.QueueFull:
            # What is queued is stale anyway: one resync (with the newest id, so a reconnect
            # does not replay what the re-read already covers) replaces it.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(Published(published.id, Resync(project_id=self.project_id)))


class EventBus:
    def __init__(self, replay_size: int = 1000, max_queued: int = 10_000) -> None:
        self._ids = itertools.count(time.time_ns() // 1000)
        self._lock = threading.Lock()
        self._history: dict[int, deque[Published]] = defaultdict(lambda: deque(maxlen=replay_size))
        self._subscribers: dict[int, set[Subscription]] = defaultdict(set)
        self._max_queued = max_queued
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, project_id: int | None, event: StudioEvent) -> None:
        """Send an event to the project's streams; without a project (a model download), to every
        open stream."""
        if project_id is None:
            with self._lock:
                projects = [pid for pid, subs in self._subscribers.items() if subs]
            for pid in projects:
                self.publish(pid, event)
            return
        with self._lock:
            published = Published(next(self._ids), event.model_copy(update={"project_id": project_id}))
            self._history[project_id].append(published)
            subscribers = list(self._subscribers.get(project_id, ()))
        loop = self._loop
        if loop is not None and loop.is_running():
            for subscriber in subscribers:
                loop.call_soon_threadsafe(subscriber.offer, published)

    def subscribe(self, project_id: int, last_event_id: int | None) -> tuple[Subscription, list[Published]]:
        """A subscription to new events, and the missed ones (after ``last_event_id``) to send first."""
        subscription = Subscription(project_id, self._max_queued)
        with self._lock:
            self._subscribers[project_id].add(subscription)
            missed = (
                [e for e in self._history.get(project_id, ()) if e.id > last_event_id]
                if last_event_id is not None
                else []
            )
        return subscription, missed

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.get(subscription.project_id, set()).discard(subscription)

    def forget_project(self, project_id: int) -> None:
        with self._lock:
            self._history.pop(project_id, None)
