"""Keypoints tracked through the real video by a job: they follow the object, stay inside its
mask, drop out ("not labelled") rather than go wrong, and never overwrite a key frame."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import wait_job
from tests.keypoints.conftest import Video, patch_mask, patch_origin
from video_seg_backend.storage.masks import encode_rle

# PCK@0.05: within 5% of the object's size, sqrt(48 * 40) px.
NEAR = 0.05 * (48 * 40) ** 0.5
TOOL = {"keypoints": ["tip", "joint", "far"], "edges": [["tip", "joint"]]}


def store_true_masks(client: TestClient, textured: Video, oid: int, frames: range) -> None:
    body = [{"object_id": oid, "frame_index": i, "rle": encode_rle(patch_mask(i)), "source": "edited"} for i in frames]
    assert client.put(f"{textured.base}/annotations", json=body).status_code == 200


def on_patch(i: int) -> list[dict]:
    """Two points on the moving patch (one marked occluded) and one on the still background."""
    x, y = patch_origin(i)
    return [
        {"x": x + 16, "y": y + 14, "visibility": 2},
        {"x": x + 31, "y": y + 25, "visibility": 1},
        {"x": 170, "y": 12, "visibility": 2},
    ]


def track(client: TestClient, textured: Video, **body: object) -> dict:
    r = client.post(f"{textured.base}/keypoints/track", json=body)
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"])
    assert job["status"] == "completed", job
    assert job["kind"] == "keypoints"
    return job


def test_points_from_one_key_frame_follow_the_object_and_the_background_point_drops(
    client: TestClient, textured: Video
) -> None:
    oid = textured.obj(textured.label("tool", TOOL))
    store_true_masks(client, textured, oid, range(12))
    url = f"{textured.base}/objects/{oid}/keypoints"
    assert client.put(f"{url}/0", json={"points": on_patch(0)}).status_code == 200
    job = track(client, textured)
    assert job["params"]["result"]["frames_written"] == 11
    frames = client.get(url).json()["frames"]
    assert [f["frame_index"] for f in frames] == list(range(12))
    assert [f["source"] for f in frames] == ["key"] + ["tracked"] * 11
    for f in frames[1:]:
        truth = on_patch(f["frame_index"])
        top, right, far = f["points"]
        for got, want in ((top, truth[0]), (right, truth[1])):
            assert got["visibility"] == want["visibility"], f  # occluded stays occluded
            assert abs(got["x"] - want["x"]) <= NEAR and abs(got["y"] - want["y"]) <= NEAR, (f["frame_index"], got)
        assert far["visibility"] == 0  # outside the object's mask: not labelled, not wrong


def test_between_two_key_frames_and_a_rerun_never_touches_a_key_frame(client: TestClient, textured: Video) -> None:
    oid = textured.obj(textured.label("tool", TOOL))
    store_true_masks(client, textured, oid, range(12))
    url = f"{textured.base}/objects/{oid}/keypoints"
    client.put(f"{url}/2", json={"points": on_patch(2)})
    client.put(f"{url}/9", json={"points": on_patch(9)})
    track(client, textured, start_frame=0, end_frame=11)
    frames = {f["frame_index"]: f for f in client.get(url).json()["frames"]}
    assert sorted(frames) == list(range(12))
    assert [i for i, f in frames.items() if f["source"] == "key"] == [2, 9]
    for i in range(3, 9):
        tip = frames[i]["points"][0]
        want = on_patch(i)[0]
        # Tracked from the nearer of two exact key frames: closer than a track from one side.
        assert tip["visibility"] == 2 and abs(tip["x"] - want["x"]) <= 1 and abs(tip["y"] - want["y"]) <= 1, (i, tip)
    # Only frames 4..6 again: the others stay as they were, the key frames are not rewritten.
    client.delete(url, params={"tracked_only": True, "start": 4, "end": 6})
    track(client, textured, start_frame=4, end_frame=6)
    again = {f["frame_index"]: f for f in client.get(url).json()["frames"]}
    assert again == frames


def test_a_track_request_without_key_frames_or_with_a_bad_range_is_refused(client: TestClient, textured: Video) -> None:
    oid = textured.obj(textured.label("tool", TOOL))
    r = client.post(f"{textured.base}/keypoints/track", json={})
    assert r.status_code == 422 and r.json()["detail"] == "No object of this media item has keypoints placed on a frame"
    r = client.post(f"{textured.base}/keypoints/track", json={"object_ids": [oid]})
    assert r.status_code == 422 and "have no keypoint key frames" in r.json()["detail"]
    client.put(f"{textured.base}/objects/{oid}/keypoints/0", json={"points": on_patch(0)})
    r = client.post(f"{textured.base}/keypoints/track", json={"start_frame": 5, "end_frame": 30})
    assert r.status_code == 422 and r.json()["detail"] == "Frames 5..30 are not a range within 0..11"
    assert client.post(f"{textured.base}/keypoints/track", json={"object_ids": [999]}).status_code == 404


def test_a_person_s_17_points_placed_on_one_frame_are_tracked_through_the_video(
    client: TestClient, textured: Video
) -> None:
    """The COCO person template: all 17 points (on a 6 x 3 grid of the moving patch) carried along."""
    person = next(t for t in client.get("/api/v1/label-templates").json() if t["key"] == "coco-person")["structure"]
    assert len(person["keypoints"]) == 17
    oid = textured.obj(textured.label("person", person))
    store_true_masks(client, textured, oid, range(12))

    def grid(i: int) -> list[dict]:
        x, y = patch_origin(i)
        return [{"x": x + 6 + 7 * (k % 6), "y": y + 8 + 11 * (k // 6), "visibility": 2} for k in range(17)]

    url = f"{textured.base}/objects/{oid}/keypoints"
    assert client.put(f"{url}/0", json={"points": grid(0)}).status_code == 200
    track(client, textured)
    frames = client.get(url).json()["frames"]
    assert [f["frame_index"] for f in frames] == list(range(12))
    near = [
        got["visibility"] > 0 and abs(got["x"] - want["x"]) <= NEAR and abs(got["y"] - want["y"]) <= NEAR
        for f in frames[1:]
        for got, want in zip(f["points"], grid(f["frame_index"]), strict=True)
    ]
    assert sum(near) / len(near) >= 0.9, f"PCK@0.05 {sum(near) / len(near):.2f} over 17 points x 11 frames"
