"""An object's keypoints written and read per frame and over a range, through the real API."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.keypoints.conftest import Video

TOOL = {"keypoints": ["tip", "joint", "end"], "edges": [["tip", "joint"], ["joint", "end"]]}


def pts(*xyv: tuple[float, float, int]) -> list[dict]:
    return [{"x": x, "y": y, "visibility": v} for x, y, v in xyv]


def test_a_frame_written_reads_back_in_the_schemas_order(client: TestClient, video: Video) -> None:
    oid = video.obj(video.label("tool", TOOL))
    url = f"{video.base}/objects/{oid}/keypoints"
    r = client.put(f"{url}/3", json={"points": pts((10, 20, 2), (30.5, 40, 1), (99, 99, 0))})
    assert r.status_code == 200, r.text
    body = client.get(url).json()
    assert body["names"] == ["tip", "joint", "end"] and body["edges"] == TOOL["edges"]
    (frame,) = body["frames"]
    assert frame["frame_index"] == 3 and frame["source"] == "key"
    # "not labelled" keeps no position
    assert frame["points"] == pts((10, 20, 2), (30.5, 40, 1), (0, 0, 0))
    # writing the frame again replaces it
    client.put(f"{url}/3", json={"points": pts((11, 21, 2), (31, 41, 2), (50, 50, 2))})
    assert [p["x"] for p in client.get(url).json()["frames"][0]["points"]] == [11, 31, 50]


def test_a_range_is_written_at_once_read_by_range_and_deleted(client: TestClient, video: Video) -> None:
    oid = video.obj(video.label("tool", TOOL))
    url = f"{video.base}/objects/{oid}/keypoints"
    frames = [{"frame_index": f, "points": pts((f, 1, 2), (f, 2, 2), (f, 3, 2))} for f in (7, 2, 5)]
    frames[2]["source"] = "tracked"
    r = client.put(url, json={"frames": frames})
    assert r.status_code == 200, r.text
    assert [f["frame_index"] for f in r.json()["frames"]] == [2, 5, 7]
    window = client.get(url, params={"start": 3, "end": 6}).json()["frames"]
    assert [(f["frame_index"], f["source"]) for f in window] == [(5, "tracked")]
    assert client.delete(url, params={"tracked_only": True}).status_code == 204
    assert [f["frame_index"] for f in client.get(url).json()["frames"]] == [2, 7]
    assert client.delete(url, params={"start": 0, "end": 2}).status_code == 204
    assert [f["frame_index"] for f in client.get(url).json()["frames"]] == [7]


def test_bad_keypoints_are_refused_and_nothing_is_written(client: TestClient, video: Video) -> None:
    oid = video.obj(video.label("tool", TOOL))
    url = f"{video.base}/objects/{oid}/keypoints"
    cases = [
        (
            f"{url}/0",
            {"points": pts((1, 1, 2))},
            "Expected 3 points, one per keypoint of the label (tip, joint, end), got 1",
        ),
        (
            f"{url}/0",
            {"points": pts((1, 1, 2), (500, 1, 2), (1, 1, 2))},
            "Point 'joint' at (500, 1) is outside the frame",
        ),
        (f"{url}/12", {"points": pts((1, 1, 2), (1, 1, 2), (1, 1, 2))}, "Frame 12 is out of range 0..11"),
        (f"{url}/0", {"points": pts((1, 1, 3), (1, 1, 2), (1, 1, 2))}, "visibility"),
    ]
    for target, body, message in cases:
        r = client.put(target, json=body)
        assert r.status_code == 422 and message in r.json()["detail"], (body, r.text)
    good = pts((1, 1, 2), (1, 1, 2), (1, 1, 2))
    r = client.put(url, json={"frames": [{"frame_index": 1, "points": good}, {"frame_index": 40, "points": good}]})
    assert r.status_code == 422 and "Frame 40" in r.json()["detail"]
    assert client.get(url).json()["frames"] == []  # the good frame of the refused range was not written
    plain = video.obj(video.label("car"))
    r = client.put(f"{video.base}/objects/{plain}/keypoints/0", json={"points": good})
    assert r.status_code == 422 and r.json()["detail"].startswith("Label 'car' defines no keypoints")


def test_keypoints_go_with_their_object(client: TestClient, video: Video) -> None:
    oid = video.obj(video.label("tool", TOOL))
    url = f"{video.base}/objects/{oid}/keypoints"
    client.put(f"{url}/0", json={"points": pts((1, 1, 2), (2, 2, 2), (3, 3, 2))})
    assert client.delete(f"{video.base}/objects/{oid}").status_code == 204
    assert client.get(url).status_code == 404
    other = video.obj(video.label("tool2", TOOL))  # SQLite hands the freed id out again: no rows may wait there
    assert client.get(f"{video.base}/objects/{other}/keypoints").json()["frames"] == []
