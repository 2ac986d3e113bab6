"""The sessions an engine keeps in memory: one per media item, least recently used dropped first.

A dropped (or never built) session is rebuilt from the service's ``replay`` callback, so the cache
bounds memory without losing a click. It can be bounded by bytes (each session's ``nbytes``, kept
current by its engine) and by count. Two sessions are never dropped: the one a call is working on
(it is what the person is annotating, even when it alone is over budget) and one being tracked
(its job holds it; a new session built meanwhile would not see the clicks the job reads).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

from video_seg_backend.engine.base import FrameSource, ReplayFn

logger = logging.getLogger(__name__)


class CachedSession(Protocol):
    """What the cache reads and writes on a session."""

    media_key: str
    nbytes: int  # memory it holds, measured by its engine
    propagations: int  # running propagations: a busy session is never evicted


S = TypeVar("S", bound=CachedSession)


class SessionCache(Generic[S]):
    """LRU of per-media sessions, bounded by ``max_bytes()`` and/or ``max_sessions()`` (read at each
    check, so a changed setting takes effect on the next call)."""

    def __init__(
        self,
        name: str,
        max_bytes: Callable[[], int] | None = None,
        max_sessions: Callable[[], int] | None = None,
    ) -> None:
        self.name = name
        self._max_bytes = max_bytes
        self._max_sessions = max_sessions
        self._sessions: OrderedDict[str, S] = OrderedDict()
        self._lock = threading.Lock()
        self._build_locks: dict[str, threading.Lock] = {}

    def get(self, media_key: str, build: Callable[[], S]) -> S:
        """The cached session of ``media_key``, or the one ``build`` makes (at most one build per
        media item at a time; other media items are not held up by a long replay)."""
        with self._lock:
            cached = self._sessions.get(media_key)
            if cached is not None:
                self._sessions.move_to_end(media_key)
                return cached
            build_lock = self._build_locks.setdefault(media_key, threading.Lock())
        with build_lock:
            with self._lock:
                cached = self._sessions.get(media_key)
                if cached is not None:
                    return cached
            session = build()
            with self._lock:
                self._sessions[media_key] = session
            self.enforce_budget(keep=session)
            return session

    def forget(self, media_key: str) -> None:
        with self._lock:
            self._sessions.pop(media_key, None)
            self._build_locks.pop(media_key, None)

    def cached_sessions(self) -> dict[str, int]:
        """Media key -> bytes of each cached session, least recently used first."""
        with self._lock:
            return {key: s.nbytes for key, s in self._sessions.items()}

    @contextlib.contextmanager
    def propagating(self, session: S) -> Iterator[None]:
        """Mark ``session`` busy while a propagation runs on it."""
        with self._lock:
            session.propagations += 1
        try:
            yield
        finally:
            with self._lock:
                session.propagations -= 1

    def enforce_budget(self, keep: S) -> None:
        """Mark ``keep`` most recently used, then evict least recently used idle sessions until the
        cache is within its bounds."""
        evicted: list[S] = []
        with self._lock:
            if self._sessions.get(keep.media_key) is keep:
                self._sessions.move_to_end(keep.media_key)
            total = sum(s.nbytes for s in self._sessions.values())
            count = len(self._sessions)
            for key, candidate in list(self._sessions.items()):
                if not self._over(total, count):
                    break
                if candidate is keep or candidate.propagations:
                    continue
                del self._sessions[key]
                total -= candidate.nbytes
                count -= 1
                evicted.append(candidate)
        for gone in evicted:
            logger.info(
                "Evicted the %s session of %s (%.1f MB) to stay within the cache's bounds",
                self.name,
                gone.media_key,
                gone.nbytes / 2**20,
            )

    def _over(self, total: int, count: int) -> bool:
        if self._max_bytes is not None and total > self._max_bytes():
            return True
        return self._max_sessions is not None and count > self._max_sessions()


class CachedSessions(Generic[S]):
    """An engine's ``session``, ``forget`` and ``cached_sessions`` over its ``SessionCache``: the
    engine gives ``_cache`` and ``_build`` (a new session with the replayed key frames)."""

    _cache: SessionCache[S]

    def _build(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> S:
        raise NotImplementedError

    def session(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> S:
        return self._cache.get(media_key, lambda: self._build(media_key, frames, replay))

    def forget(self, media_key: str) -> None:
        self._cache.forget(media_key)

    def cached_sessions(self) -> dict[str, int]:
        """Media key -> bytes of each cached session, least recently used first."""
        return self._cache.cached_sessions()
