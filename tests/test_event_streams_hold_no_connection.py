"""Open event streams hold no database connection: more streams than the connection pool has
(SQLAlchemy's default 5 + 10 overflow) leave every other request answering at once."""

from __future__ import annotations

import threading

import httpx

STREAMS = 20


def test_twenty_open_streams_leave_requests_answering(live_server):  # type: ignore[no-untyped-def]
    api = f"{live_server}/api/v1"
    pid = httpx.post(f"{api}/projects", json={"name": "p", "media_type": "image"}).json()["id"]
    opened = threading.Semaphore(0)
    stop = threading.Event()

    def listen() -> None:
        with httpx.Client(timeout=httpx.Timeout(10, read=30)) as http:
            with http.stream("GET", f"{api}/projects/{pid}/events") as response:
                assert response.status_code == 200
                opened.release()
                stop.wait(30)

    listeners = [threading.Thread(target=listen, daemon=True) for _ in range(STREAMS)]
    for t in listeners:
        t.start()
    try:
        for _ in range(STREAMS):
            assert opened.acquire(timeout=30), "an event stream did not open"
        # A drained pool makes a request wait its 30 s pool timeout and then fail with a 500: here
        # the client gives up first (a timeout error fails the test).
        answer = httpx.post(f"{api}/projects/{pid}/labels", json={"name": "cat"}, timeout=20)
        assert answer.status_code == 201, answer.text
    finally:
        stop.set()
        for t in listeners:
            t.join(10)
