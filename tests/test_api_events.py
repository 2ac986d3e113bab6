"""The Server-Sent Events stream, read over a real socket as the studio's EventSource reads it."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator

import httpx

from tests.conftest import synthetic_video


def read_events(lines: Iterator[str], until: str, timeout: float = 60) -> tuple[list[dict], list[str]]:
    """Parse the SSE wire format until an event of type ``until`` arrives."""
    events: list[dict] = []
    comments: list[str] = []
    current: dict = {}
    deadline = time.monotonic() + timeout
    for line in lines:
        if time.monotonic() > deadline:
            break
        if line.startswith(":"):
            comments.append(line)
        elif line == "":
            if current:
                events.append(current)
                if current.get("event") == until:
                    return events, comments
            current = {}
        else:
            key, _, value = line.partition(":")
            current[key] = value.strip()
    raise AssertionError(f"no {until} event; got {events}")


def upload_ready(http: httpx.Client, api: str, pid: int, lines, video: bytes, name: str = "v.mp4") -> dict:
    """Uploads one video while the project's event stream is open; returns it once media.ready came."""
    (media,) = http.post(f"{api}/projects/{pid}/media", files=[("files", (name, video, "video/mp4"))]).json()
    read_events(lines, "media.ready")
    return media


def test_events_stream_media_ready_heartbeat_and_replay(live_server, tmp_path):
    api = f"{live_server}/api/v1"
    with httpx.Client(timeout=30) as http:
        pid = http.post(f"{api}/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        video = synthetic_video(tmp_path / "v.mp4").read_bytes()
        with http.stream("GET", f"{api}/projects/{pid}/events", timeout=60) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            first = http.post(f"{api}/projects/{pid}/media", files=[("files", ("a.mp4", video, "video/mp4"))])
            second = http.post(f"{api}/projects/{pid}/media", files=[("files", ("b.mp4", video, "video/mp4"))])
            assert first.status_code == second.status_code == 201
            events, _ = read_events(lines, "media.ready")
            ready = [e for e in events if e.get("event") == "media.ready"]
            data = json.loads(ready[0]["data"])
            assert data["status"] == "ready" and data["num_frames"] == 12 and data["project_id"] == pid
            first_id = int(ready[0]["id"])
            more, _ = read_events(lines, "media.ready")
            second_id = int(more[-1]["id"])
            assert second_id > first_id
            time.sleep(1.5)
            comments = [line for line in itertools.islice(lines, 4) if line.startswith(":")]
            assert comments, "no heartbeat comment within the heartbeat interval"
        # Reconnect as EventSource does after a drop: only what came after the last seen id.
        with http.stream(
            "GET", f"{api}/projects/{pid}/events", headers={"Last-Event-ID": str(first_id)}, timeout=60
        ) as stream:
            replayed, _ = read_events(stream.iter_lines(), "media.ready", timeout=10)
            assert [int(e["id"]) for e in replayed] == [second_id]
        missing = http.get(f"{api}/projects/9999/events")
        assert missing.status_code == 404 and missing.json()["detail"] == "Project not found"


def test_events_without_a_project_reach_every_open_stream():
    import asyncio

    from video_seg_backend.events import InProcessEventBus, JobFinished

    async def scenario() -> list[tuple[int | None, str]]:
        bus = InProcessEventBus()
        bus.bind_loop(asyncio.get_running_loop())
        s1, _ = bus.subscribe(1, None)
        s2, _ = bus.subscribe(2, None)
        finished = JobFinished(
            job_id=7, kind="download-model", media_id=None, status="completed", error=None, done=1, total=1
        )
        bus.publish(None, finished)
        got = [await asyncio.wait_for(s.queue.get(), 1) for s in (s1, s2)]
        return [(p.event.project_id, p.event.type) for p in got]

    assert asyncio.run(scenario()) == [(1, "job.finished"), (2, "job.finished")]


def test_model_catalogue_offline(client):
    models = {m["key"]: m for m in client.get("/api/v1/models").json()}
    assert models["opencv"]["available"] and models["opencv"]["default"]
    tiny = models["sam2.1_hiera_tiny"]
    assert not tiny["available"] and "offline" in tiny["reason"].lower() and not tiny["downloadable"]
    refused = client.post("/api/v1/models/sam2.1_hiera_tiny/download")
    assert refused.status_code == 409 and "cannot be downloaded" in refused.json()["detail"]
    assert client.post("/api/v1/models/nope/download").status_code == 404


def test_progress_events_are_throttled_and_masks_announced(live_server, tmp_path):
    api = f"{live_server}/api/v1"
    frames = 80
    with httpx.Client(timeout=60) as http:
        pid = http.post(f"{api}/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        label = http.post(f"{api}/projects/{pid}/labels", json={"name": "disc"}).json()["id"]
        video = synthetic_video(tmp_path / "v.mp4", frames=frames, size=(320, 240)).read_bytes()
        with http.stream("GET", f"{api}/projects/{pid}/events", timeout=120) as stream:
            lines = stream.iter_lines()
            media = upload_ready(http, api, pid, lines, video)
            base = f"{api}/projects/{pid}/media/{media['id']}"
            obj = http.post(f"{base}/objects", json={"label_id": label}).json()["id"]
            http.post(f"{base}/prompts", json={"object_id": obj, "frame_index": 0, "x": 60, "y": 120})
            started = time.monotonic()
            job = http.post(f"{base}/propagate", json={"start_frame": 0, "direction": "forward"}).json()
            events, _ = read_events(lines, "job.finished", timeout=120)
            elapsed = time.monotonic() - started
    progress = [json.loads(e["data"]) for e in events if e.get("event") == "job.progress"]
    finished = json.loads(events[-1]["data"])
    assert finished["job_id"] == job["id"] and finished["status"] == "completed"
    assert finished["done"] == finished["total"] == frames - 1
    # at most 4 a second (the setting) plus the forced first and last ones, far fewer than frames
    assert 2 <= len(progress) <= 4 * elapsed + 3, (len(progress), elapsed)
    assert progress[-1]["done"] == frames - 1
    updated = [json.loads(e["data"]) for e in events if e.get("event") == "annotations.updated"]
    assert updated and updated[-1]["frames"] == [1, frames - 1]


def test_deleting_media_tells_open_studios(live_server, tmp_path):
    """A video deleted in the gallery while a studio has it open: the studio hears of it."""
    api = f"{live_server}/api/v1"
    with httpx.Client(timeout=30) as http:
        pid = http.post(f"{api}/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        video = synthetic_video(tmp_path / "v.mp4").read_bytes()
        with http.stream("GET", f"{api}/projects/{pid}/events", timeout=60) as stream:
            lines = stream.iter_lines()
            mid = upload_ready(http, api, pid, lines, video, "a.mp4")["id"]
            assert http.delete(f"{api}/projects/{pid}/media/{mid}").status_code == 204
            events, _ = read_events(lines, "media.deleted", timeout=10)
            data = json.loads(events[-1]["data"])
            assert data["media_id"] == mid and data["project_id"] == pid and data["name"] == "a.mp4"


def test_object_changes_tell_open_studios(live_server, tmp_path):
    """An object created, relabelled or deleted in one tab: a studio in another tab hears of it."""
    api = f"{live_server}/api/v1"
    with httpx.Client(timeout=30) as http:
        pid = http.post(f"{api}/projects", json={"name": "p", "media_type": "video"}).json()["id"]
        labels = f"{api}/projects/{pid}/labels"
        car, person = (http.post(labels, json={"name": name}).json()["id"] for name in ("car", "person"))
        video = synthetic_video(tmp_path / "v.mp4").read_bytes()
        with http.stream("GET", f"{api}/projects/{pid}/events", timeout=60) as stream:
            lines = stream.iter_lines()
            media = upload_ready(http, api, pid, lines, video)
            base = f"{api}/projects/{pid}/media/{media['id']}/objects"
            seen = []
            oid = http.post(base, json={"label_id": car}).json()["id"]
            seen.append(read_events(lines, "objects.updated", timeout=10)[0][-1])
            assert http.patch(f"{base}/{oid}", json={"label_id": person}).status_code == 200
            seen.append(read_events(lines, "objects.updated", timeout=10)[0][-1])
            assert http.delete(f"{base}/{oid}").status_code == 204
            seen.append(read_events(lines, "objects.updated", timeout=10)[0][-1])
            # Deleting a label with its objects (the labels page) takes them out of the studio too.
            other = http.post(base, json={"label_id": car}).json()["id"]
            read_events(lines, "objects.updated", timeout=10)
            assert http.delete(f"{labels}/{car}", params={"force": True}).status_code == 204
            by_label = json.loads(read_events(lines, "objects.updated", timeout=10)[0][-1]["data"])
    for event in seen:
        data = json.loads(event["data"])
        assert data == {"type": "objects.updated", "media_id": media["id"], "object_ids": [oid], "project_id": pid}
    assert by_label == {"type": "objects.updated", "media_id": media["id"], "object_ids": [other], "project_id": pid}
