"""Person tracks fixed by hand: split at a frame, merged back, with their masks and action labels."""

from __future__ import annotations

from pathlib import Path

from tests.actions.helpers import API, SIT, STAND, label_map, person, tick, video_item


def frames_of(client, pid: int, mid: int) -> dict[int, list[int]]:
    masks = client.get(f"{API}/projects/{pid}/media/{mid}/annotations").json()
    result: dict[int, list[int]] = {}
    for m in masks:
        result.setdefault(m["object_id"], []).append(m["frame_index"])
    return {k: sorted(v) for k, v in result.items()}


def labels_of(client, pid: int, mid: int) -> list[tuple[int, int, list[int]]]:
    rows = client.get(f"{API}/projects/{pid}/media/{mid}/action-labels").json()
    return sorted((r["object_id"], r["frame_index"], r["actions"]) for r in rows)


def test_split_and_merge_move_masks_and_labels(client, tmp_path: Path):
    pid, mid = video_item(client, tmp_path)
    label_map(client, pid)
    label = client.post(f"{API}/projects/{pid}/labels", json={"name": "person"}).json()["id"]
    base = f"{API}/projects/{pid}/media/{mid}/persons"
    joined = person(client, pid, mid, label, {0: (10, 10, 50, 100), 10: (12, 10, 52, 100), 20: (90, 10, 140, 100)})
    assert tick(client, pid, mid, joined, 0, [STAND]).status_code == 200
    assert tick(client, pid, mid, joined, 20, [SIT]).status_code == 200

    # A tracker that jumped to another person at frame 20: split there.
    split = client.post(f"{base}/{joined}/split", json={"frame_index": 15})
    assert split.status_code == 201, split.text
    other = split.json()
    assert other["label_id"] == label and other["track_id"] == 2
    assert frames_of(client, pid, mid) == {joined: [0, 10], other["id"]: [20]}
    assert labels_of(client, pid, mid) == [(joined, 0, [STAND]), (other["id"], 20, [SIT])]
    refused = client.post(f"{base}/{joined}/split", json={"frame_index": 30})
    assert refused.status_code == 422 and "masks on frames 0..10" in refused.json()["detail"]

    # Overlapping persons cannot be merged; disjoint ones can, into the one that stays.
    third = person(client, pid, mid, label, {10: (0, 0, 20, 20), 30: (0, 0, 20, 20)})
    clash = client.post(f"{base}/{third}/merge", json={"into_object_id": joined})
    assert clash.status_code == 409 and "mask on frames 10" in clash.json()["detail"]
    merged = client.post(f"{base}/{other['id']}/merge", json={"into_object_id": joined})
    assert merged.status_code == 204, merged.text
    assert frames_of(client, pid, mid) == {joined: [0, 10, 20], third: [10, 30]}
    assert labels_of(client, pid, mid) == [(joined, 0, [STAND]), (joined, 20, [SIT])]
    objects = {o["id"] for o in client.get(f"{API}/projects/{pid}/media/{mid}/objects").json()}
    assert objects == {joined, third}
    assert client.post(f"{base}/{joined}/merge", json={"into_object_id": joined}).status_code == 422
    assert client.post(f"{base}/{10**6}/split", json={"frame_index": 1}).status_code == 404
