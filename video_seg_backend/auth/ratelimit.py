"""Failed sign-ins per (client address, user name) in a sliding minute.

In-process: with several API replicas each counts its own attempts, so the bound is per replica.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self._failures: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        times = self._failures[key]
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def retry_after(self, client: str, username: str) -> int | None:
        """Seconds to wait when the budget is spent, else None."""
        now = time.monotonic()
        with self._lock:
            times = self._recent((client, username.lower()), now)
            if len(times) >= self.per_minute:
                return max(1, int(self.window_s - (now - times[0])) + 1)
        return None

    def failed(self, client: str, username: str) -> None:
        with self._lock:
            self._failures[(client, username.lower())].append(time.monotonic())

    def succeeded(self, client: str, username: str) -> None:
        with self._lock:
            self._failures.pop((client, username.lower()), None)
