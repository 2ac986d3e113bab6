"""Per-project event bus behind ``GET /projects/{pid}/events`` (Server-Sent Events), in process.

Publishing is thread-safe (the job worker and the ingest threads publish); each project keeps its
last events in a ring buffer so a studio that reconnects with ``Last-Event-ID`` catches up.
Event ids increase across restarts (they start from the boot time in microseconds), so an id from
before a restart never hides newer events. A subscriber that reads too slowly is never dropped
from silently: its backlog is replaced by one ``resync`` event, and the studio re-reads.
``events/redis_bus.py`` is the same contract across processes.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Protocol

from video_seg_backend.events.types import Resync, StudioEvent


@dataclass(frozen=True)
class Published:
    """An event as streamed: its id (for Last-Event-ID), an order key, and its payload."""

    id: str
    order: tuple[int, ...]
    event: StudioEvent

    def as_sse(self) -> dict[str, str]:
        return {"id": self.id, "event": self.event.type, "data": self.event.model_dump_json()}


class Subscription:
    """One open stream's queue of events. ``offer`` runs on the event loop's thread only."""

    def __init__(self, project_id: int, max_queued: int) -> None:
        self.project_id = project_id
        self.queue: asyncio.Queue[Published] = asyncio.Queue(maxsize=max_queued)
        self.replayed_up_to: tuple[int, ...] = ()  # events up to here came as the replay

    def offer(self, published: Published) -> None:
        if published.order <= self.replayed_up_to:
            return
        try:
            self.queue.put_nowait(published)
        except asyncio.QueueFull:
            self.resync(published.id, published.order)

    def resync(self, newest_id: str, order: tuple[int, ...]) -> None:
        # What is queued is stale anyway: one resync (with the newest id, so a reconnect does not
        # replay what the re-read already covers) replaces it.
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(Published(newest_id, order, Resync(project_id=self.project_id)))


class Subscribers:
    """The open streams of this process, by project, and the loop that feeds their queues."""

    def __init__(self, max_queued: int) -> None:
        self.lock = threading.Lock()
        self.max_queued = max_queued
        self._by_project: dict[int, set[Subscription]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def add(self, project_id: int) -> Subscription:
        """Call with ``lock`` held."""
        subscription = Subscription(project_id, self.max_queued)
        self._by_project[project_id].add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        with self.lock:
            self._by_project.get(subscription.project_id, set()).discard(subscription)

    def projects(self) -> list[int]:
        with self.lock:
            return [pid for pid, subs in self._by_project.items() if subs]

    def deliver(self, project_id: int, published: Published) -> None:
        with self.lock:
            subscribers = list(self._by_project.get(project_id, ()))
        loop = self._loop
        if loop is not None and loop.is_running():
            for subscriber in subscribers:
                loop.call_soon_threadsafe(subscriber.offer, published)

    def resync_all(self, newest_id: str, order: tuple[int, ...]) -> None:
        with self.lock:
            subscribers = [s for subs in self._by_project.values() for s in subs]
        loop = self._loop
        if loop is not None and loop.is_running():
            for subscriber in subscribers:
                loop.call_soon_threadsafe(subscriber.resync, newest_id, order)


class EventBus(Protocol):
    """What publishers and the SSE route use: the in-process bus below, or ``RedisEventBus``."""

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None: ...
    def publish(self, project_id: int | None, event: StudioEvent) -> None: ...
    def subscribe(self, project_id: int, last_event_id: str | None) -> tuple[Subscription, list[Published]]: ...
    def unsubscribe(self, subscription: Subscription) -> None: ...
    def forget_project(self, project_id: int) -> None: ...
    def close(self) -> None: ...


class InProcessEventBus:
    def __init__(self, replay_size: int = 1000, max_queued: int = 10_000) -> None:
        self._ids = itertools.count(time.time_ns() // 1000)
        self._history: dict[int, deque[Published]] = defaultdict(lambda: deque(maxlen=replay_size))
        self.subscribers = Subscribers(max_queued)

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self.subscribers.bind_loop(loop)

    def publish(self, project_id: int | None, event: StudioEvent) -> None:
        """Send an event to the project's streams; without a project (a model download), to every
        open stream."""
        if project_id is None:
            for pid in self.subscribers.projects():
                self.publish(pid, event)
            return
        with self.subscribers.lock:
            number = next(self._ids)
            published = Published(str(number), (number,), event.model_copy(update={"project_id": project_id}))
            self._history[project_id].append(published)
        self.subscribers.deliver(project_id, published)

    def subscribe(self, project_id: int, last_event_id: str | None) -> tuple[Subscription, list[Published]]:
        """A subscription to new events, and the missed ones (after ``last_event_id``) to send first."""
        after = int(last_event_id) if last_event_id and last_event_id.isdigit() else None
        with self.subscribers.lock:
            subscription = self.subscribers.add(project_id)
            history = self._history.get(project_id, ())
            missed = [p for p in history if p.order[0] > after] if after is not None else []
        return subscription, missed

    def unsubscribe(self, subscription: Subscription) -> None:
        self.subscribers.remove(subscription)

    def forget_project(self, project_id: int) -> None:
        with self.subscribers.lock:
            self._history.pop(project_id, None)

    def close(self) -> None:
        """Nothing to release in process; the Redis bus stops its reader here."""
