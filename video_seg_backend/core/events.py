"""Per-project event bus behind ``GET /projects/{pid}/events`` (Server-Sent Events).

Publishing is thread-safe (the job worker and the ingest threads publish); each project keeps its
last events in a ring buffer so a studio that reconnects with ``Last-Event-ID`` catches up.
Event ids increase across restarts (they start from the boot time in microseconds), so an id from
before a restart never hides newer events.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict[str, Any]

    def as_sse(self) -> dict[str, str]:
        return {"id": str(self.id), "event": self.type, "data": json.dumps(self.data, default=str)}


class EventBus:
    def __init__(self, replay_size: int = 1000) -> None:
        self._ids = itertools.count(time.time_ns() // 1000)
        self._lock = threading.Lock()
        self._history: dict[int, deque[Event]] = defaultdict(lambda: deque(maxlen=replay_size))
        self._subscribers: dict[int, set[asyncio.Queue[Event]]] = defaultdict(set)
        self._loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def publish(self, project_id: int, type_: str, data: dict[str, Any]) -> Event:
        with self._lock:
            event = Event(next(self._ids), type_, {**data, "project_id": project_id})
            self._history[project_id].append(event)
            queues = list(self._subscribers.get(project_id, ()))
        loop = self._loop
        for queue in queues:
            if loop is not None and loop.is_running():
                loop.call_soon_threadsafe(_put_nowait, queue, event)
        return event

    def broadcast(self, type_: str, data: dict[str, Any]) -> None:
        """An event that belongs to no project (a model download): sent to every open stream."""
        with self._lock:
            projects = [pid for pid, queues in self._subscribers.items() if queues]
        for project_id in projects:
            self.publish(project_id, type_, data)

    def subscribe(self, project_id: int, last_event_id: int | None) -> tuple[asyncio.Queue[Event], list[Event]]:
        """A queue of new events, and the missed ones (after ``last_event_id``) to send first."""
        queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=10_000)
        with self._lock:
            self._subscribers[project_id].add(queue)
            missed = (
                [e for e in self._history.get(project_id, ()) if e.id > last_event_id]
                if last_event_id is not None
                else []
            )
        return queue, missed

    def unsubscribe(self, project_id: int, queue: asyncio.Queue[Event]) -> None:
        with self._lock:
            self._subscribers.get(project_id, set()).discard(queue)

    def forget_project(self, project_id: int) -> None:
        with self._lock:
            self._history.pop(project_id, None)


def _put_nowait(queue: asyncio.Queue[Event], event: Event) -> None:
    try:
        queue.put_nowait(event)
    except asyncio.QueueFull:  # a stalled client: it will reconnect and replay
        pass
