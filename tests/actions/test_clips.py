"""Clips: a long video cut into fixed-length media items whose AVA timestamps are the source's."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.actions.ava_reader import load
from tests.actions.helpers import API, STAND, label_map, person, tick, video_item


def test_clips_keep_source_and_start(client, tmp_path: Path):
    pid, mid = video_item(client, tmp_path, frames=45, fps=10)  # 4.5 s
    made = client.post(f"{API}/projects/{pid}/media/{mid}/clips", json={"seconds": 2})
    assert made.status_code == 201, made.text
    clips = made.json()
    assert [(c["num_frames"], c["status"], c["fps"]) for c in clips] == [
        (20, "ready", 10),
        (20, "ready", 10),
        (5, "ready", 10),
    ]
    assert [c["name"] for c in clips] == ["walk 0-2s", "walk 2-4s", "walk 4-4.5s"]
    source = f"{API}/projects/{pid}/media/{mid}/frames"
    for clip, offset in zip(clips, (0, 20, 40), strict=True):
        for index in (0, clip["num_frames"] - 1):
            frame = client.get(f"{API}/projects/{pid}/media/{clip['id']}/frames/{index}").content
            assert frame == client.get(f"{source}/{offset + index}").content
    second = clips[1]["id"]
    keyframes = client.get(f"{API}/projects/{pid}/media/{second}/keyframes").json()
    assert keyframes["video_id"] == "walk" and keyframes["start_seconds"] == 2
    assert [(k["frame_index"], k["source_seconds"]) for k in keyframes["keyframes"]] == [(0, 2.0), (10, 3.0)]

    label_map(client, pid)
    label = client.post(f"{API}/projects/{pid}/labels", json={"name": "person"}).json()["id"]
    obj = person(client, pid, second, label, {10: (10, 10, 50, 100)})
    assert tick(client, pid, second, obj, 10, [STAND]).status_code == 200
    export = client.get(f"{API}/projects/{pid}/export", params={"format": "ava"})
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    excluded = archive.read("excluded_timestamps.csv").decode()
    entries = load(archive.read("annotations.csv").decode(), excluded, num_classes=80)
    assert list(entries) == ["walk,0003"]  # second 1 of the clip that starts at 2 s
    # The source is exported as its clips (not twice); every other second has no labelled person
    assert excluded.splitlines() == ["walk,0", "walk,1", "walk,2", "walk,4"]

    # a clip of a clip counts from the first source
    nested = client.post(f"{API}/projects/{pid}/media/{second}/clips", json={"seconds": 1}).json()
    starts = [client.get(f"{API}/projects/{pid}/media/{c['id']}/keyframes").json()["start_seconds"] for c in nested]
    assert starts == [2.0, 3.0]
    short = client.post(f"{API}/projects/{pid}/media/{clips[2]['id']}/clips", json={"seconds": 2})
    assert short.status_code == 422 and "not longer than one 2 s clip" in short.json()["detail"]
    stored = client.get(f"{API}/projects/{pid}/media/{second}/file").content
    assert len(zipfile.ZipFile(io.BytesIO(stored)).namelist()) == 20


def test_cut_at_upload(client, tmp_path: Path):
    import time

    from tests.conftest import synthetic_video

    pid = client.post(f"{API}/projects", json={"name": "long"}).json()["id"]
    path = synthetic_video(tmp_path / "long.mp4", frames=35, fps=10)
    send = {"files": [("files", ("long.mp4", path.read_bytes(), "video/mp4"))]}
    refused = client.post(f"{API}/projects/{pid}/media", data={"clip_seconds": "0.5"}, **send)
    assert refused.status_code == 422 and "clip_seconds must be at least 1" in refused.json()["detail"]
    answer = client.post(f"{API}/projects/{pid}/media", data={"clip_seconds": "1.5"}, **send)
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 60
    while len(items := client.get(f"{API}/projects/{pid}/media").json()) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [(m["name"], m["num_frames"]) for m in items] == [
        ("long.mp4", 35), ("long 0-1.5s", 15), ("long 1.5-3s", 15), ("long 3-3.5s", 5),
    ]  # fmt: skip
    starts = [client.get(f"{API}/projects/{pid}/media/{m['id']}/keyframes").json()["start_seconds"] for m in items]
    assert starts == [0, 0, 1.5, 3.0]
