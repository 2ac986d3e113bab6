"""The session cache both engines keep: least recently used out first, within bytes or a count,
never the session in use or one being tracked, and one build per media item at a time."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from video_seg_backend.engine.session_cache import SessionCache


@dataclass
class FakeSession:
    media_key: str
    nbytes: int = 0
    propagations: int = 0


def build(key: str, nbytes: int = 0):
    return lambda: FakeSession(key, nbytes)


def test_a_count_bound_drops_the_least_recently_used():
    cache: SessionCache[FakeSession] = SessionCache("test", max_sessions=lambda: 2)
    a = cache.get("a", build("a"))
    cache.get("b", build("b"))
    assert cache.get("a", build("a")) is a  # a is now the most recently used
    cache.get("c", build("c"))
    assert list(cache.cached_sessions()) == ["a", "c"]


def test_a_byte_bound_drops_until_the_rest_fits_but_keeps_the_session_in_use():
    budget = 100
    cache: SessionCache[FakeSession] = SessionCache("test", max_bytes=lambda: budget)
    cache.get("a", build("a", 40))
    cache.get("b", build("b", 40))
    cache.get("c", build("c", 40))
    assert cache.cached_sessions() == {"b": 40, "c": 40}
    big = cache.get("d", build("d", 500))  # alone over budget: it is what the person works on
    assert cache.cached_sessions() == {"d": 500}
    big.nbytes = 10
    budget = 5  # the bound is read at each check
    cache.enforce_budget(keep=big)
    assert cache.cached_sessions() == {"d": 10}


def test_a_session_being_tracked_is_not_dropped():
    cache: SessionCache[FakeSession] = SessionCache("test", max_sessions=lambda: 1)
    tracked = cache.get("tracked", build("tracked"))
    with cache.propagating(tracked):
        cache.get("other", build("other"))
        assert list(cache.cached_sessions()) == ["tracked", "other"]
    assert tracked.propagations == 0
    cache.get("third", build("third"))
    assert list(cache.cached_sessions()) == ["third"]


def test_forget_drops_and_the_next_get_builds_afresh():
    cache: SessionCache[FakeSession] = SessionCache("test")
    first = cache.get("a", build("a"))
    cache.forget("a")
    cache.forget("never-built")
    assert cache.cached_sessions() == {}
    assert cache.get("a", build("a")) is not first


def test_two_threads_asking_for_one_media_item_share_one_build():
    cache: SessionCache[FakeSession] = SessionCache("test")
    builds: list[str] = []

    def slow_build() -> FakeSession:
        builds.append(threading.current_thread().name)
        time.sleep(0.2)  # a long replay
        return FakeSession("a")

    got: list[FakeSession] = []
    threads = [threading.Thread(target=lambda: got.append(cache.get("a", slow_build))) for _ in range(2)]
    for t in threads:
        t.start()
    # Another media item is not held up by that build.
    started = time.monotonic()
    cache.get("b", build("b"))
    assert time.monotonic() - started < 0.15
    for t in threads:
        t.join(5)
    assert len(builds) == 1 and got[0] is got[1]
