"""Uploads, decoding, frames, objects and deletion, with real files."""

from __future__ import annotations

import time

import av
import pytest

from tests.conftest import (
    SAMPLE_VIDEOS,
    files_under,
    need_shared,
    png_bytes,
    synthetic_video,
    upload,
    wait_media_ready,
)


def video_project(client) -> int:
    return client.post("/api/v1/projects", json={"name": "v", "media_type": "video"}).json()["id"]


def image_project(client) -> int:
    return client.post("/api/v1/projects", json={"name": "i", "media_type": "image"}).json()["id"]


def test_upload_sample_mp4_decodes_frames(client, settings):
    path = need_shared(SAMPLE_VIDEOS / "08_driving.mp4")
    pid = video_project(client)
    started = time.monotonic()
    response = upload(client, pid, ("08_driving.mp4", path.read_bytes(), "video/mp4"))
    assert response.status_code == 201, response.text
    (media,) = response.json()
    assert media["status"] == "processing" and time.monotonic() - started < 10
    ready = wait_media_ready(client, pid, media["id"])
    assert ready["status"] == "ready", ready
    assert (ready["width"], ready["height"], ready["num_frames"]) == (1280, 720, 124)
    assert ready["fps"] == pytest.approx(24.0)
    base = f"/api/v1/projects/{pid}/media/{media['id']}"
    frame = client.get(f"{base}/frames/123")
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    assert frame.content[:2] == b"\xff\xd8" and "max-age" in frame.headers["cache-control"]
    out_of_range = client.get(f"{base}/frames/124")
    assert out_of_range.status_code == 404 and "0..123" in out_of_range.json()["detail"]
    original = client.get(f"{base}/file")
    assert original.content == path.read_bytes()
    thumb = client.get(f"{base}/thumbnail")
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"


def test_several_files_in_one_request_and_formats(client, tmp_path):
    pid = video_project(client)
    mp4 = synthetic_video(tmp_path / "a.mp4", frames=8)
    webm = synthetic_video(tmp_path / "b.webm", frames=6, codec="libvpx-vp9")
    mkv = synthetic_video(tmp_path / "c.mkv", frames=5, codec="mpeg4")
    response = upload(
        client,
        pid,
        ("a.mp4", mp4.read_bytes(), "video/mp4"),
        ("b.webm", webm.read_bytes(), "video/webm"),
        # a misleading name: content decides
        ("c.mov", mkv.read_bytes(), "video/quicktime"),
    )
    assert response.status_code == 201, response.text
    frames = {m["name"]: wait_media_ready(client, pid, m["id"])["num_frames"] for m in response.json()}
    assert frames == {"a.mp4": 8, "b.webm": 6, "c.mov": 5}


def test_image_project_accepts_png_and_jpeg(client):
    pid = image_project(client)
    import io

    from PIL import Image

    jpeg = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(jpeg, format="JPEG")
    response = upload(client, pid, ("a.png", png_bytes(), "image/png"), ("b.jpeg", jpeg.getvalue(), "image/jpeg"))
    assert response.status_code == 201
    a, b = response.json()
    assert a["status"] == "ready" and (a["width"], a["height"], a["num_frames"]) == (64, 48, 1)
    assert (b["width"], b["height"]) == (40, 30)
    assert client.get(f"/api/v1/projects/{pid}/media/{a['id']}/frames/0").status_code == 200


@pytest.mark.parametrize(
    "name, make, expected",
    [
        ("x.mp4", lambda v: b"this is a text file, not a video\n" * 10, "not an image or video"),
        ("empty.mp4", lambda v: b"", "is empty"),
        ("cut.mp4", lambda v: v[: len(v) // 2], "truncated"),
        ("../../etc/passwd.mp4", lambda v: b"root:x:0:0:root:/root:/bin/bash\n", "not an image or video"),
    ],
)
def test_bad_video_uploads_leave_nothing(client, settings, tmp_path, name, make, expected):
    need_shared(SAMPLE_VIDEOS)
    pid = video_project(client)
    good = (SAMPLE_VIDEOS / "08_driving.mp4").read_bytes()
    response = upload(
        client,
        pid,
        ("ok.mp4", synthetic_video(tmp_path / "ok.mp4").read_bytes(), "video/mp4"),
        (name, make(good), "video/mp4"),
    )
    assert response.status_code == 415, response.text
    detail = response.json()["detail"]
    assert expected in detail and "MP4" in detail
    assert client.get(f"/api/v1/projects/{pid}/media").json() == []
    assert files_under(settings.data_dir / "media") == [] and files_under(settings.data_dir / "tmp") == []


def test_audio_only_file_is_refused(client, tmp_path):
    path = tmp_path / "tone.mp4"
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000)
        import numpy as np

        samples = (np.sin(np.arange(16000) / 10) * 0.3).astype(np.float32)[None, :]
        for start in range(0, 16000, 1024):
            frame = av.AudioFrame.from_ndarray(samples[:, start : start + 1024], format="fltp", layout="mono")
            frame.sample_rate = 16000
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    pid = video_project(client)
    response = upload(client, pid, ("tone.mp4", path.read_bytes(), "video/mp4"))
    assert response.status_code == 415 and "no video stream" in response.json()["detail"]


def test_image_in_video_project_and_video_in_image_project(client, tmp_path):
    vid = video_project(client)
    response = upload(client, vid, ("a.png", png_bytes(), "image/png"))
    assert response.status_code == 415 and "video project" in response.json()["detail"]
    img = image_project(client)
    response = upload(client, img, ("a.mp4", synthetic_video(tmp_path / "a.mp4").read_bytes(), "video/mp4"))
    assert response.status_code == 415 and "image project" in response.json()["detail"]


def test_size_limit_enforced_while_streaming(tmp_path):
    from fastapi.testclient import TestClient

    from tests.conftest import make_settings
    from video_seg_backend.main import create_app

    settings = make_settings(tmp_path, max_upload_mb=1)
    with TestClient(create_app(settings)) as client:
        pid = video_project(client)
        response = upload(client, pid, ("big.mp4", b"\0" * (1024 * 1024 + 10), "video/mp4"))
        assert response.status_code == 413 and "1 MB upload limit" in response.json()["detail"]
        assert files_under(settings.data_dir / "media") == [] and files_under(settings.data_dir / "tmp") == []


def test_hostile_file_name_is_stored_safely(client, settings, tmp_path):
    pid = video_project(client)
    data = synthetic_video(tmp_path / "v.mp4").read_bytes()
    response = upload(client, pid, ("../../etc/passwd.mp4", data, "video/mp4"))
    assert response.status_code == 201
    media = response.json()[0]
    assert media["name"] == "passwd.mp4"
    stored = files_under(settings.data_dir)
    assert all(settings.data_dir in p.parents for p in stored)
    assert not any("passwd" in str(p) for p in stored)
    wait_media_ready(client, pid, media["id"])


def test_no_files_and_unknown_ids(client):
    pid = video_project(client)
    response = client.post(f"/api/v1/projects/{pid}/media", data={"x": "1"})
    assert response.status_code == 422 and "files" in response.json()["detail"]
    assert client.get(f"/api/v1/projects/{pid}/media/999").json()["detail"] == "Media not found"
    assert client.get("/api/v1/projects/999/media").json()["detail"] == "Project not found"


def test_objects_and_deletion_remove_rows_and_files(client, settings, tmp_path):
    pid = video_project(client)
    other = video_project(client)
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc", "color": "#ff0000"}).json()
    label2 = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "ball", "color": "#00ff00"}).json()
    data = synthetic_video(tmp_path / "v.mp4").read_bytes()
    m1, m2 = upload(client, pid, ("a.mp4", data, "video/mp4"), ("b.mp4", data, "video/mp4")).json()
    (keep,) = upload(client, other, ("c.mp4", data, "video/mp4")).json()
    for m in (m1, m2):
        wait_media_ready(client, pid, m["id"])
    wait_media_ready(client, other, keep["id"])
    objects = f"/api/v1/projects/{pid}/media/{m1['id']}/objects"
    o1 = client.post(objects, json={"label_id": label["id"]}).json()
    o2 = client.post(objects, json={"label_id": label["id"], "name": "second"}).json()
    assert (o1["track_id"], o2["track_id"]) == (1, 2)
    relabelled = client.patch(f"{objects}/{o2['id']}", json={"label_id": label2["id"]}).json()
    assert relabelled["label_id"] == label2["id"]
    wrong = client.post(objects, json={"label_id": 9999})
    assert wrong.status_code == 422 and "does not exist" in wrong.json()["detail"]
    in_use = client.delete(f"/api/v1/projects/{pid}/labels/{label['id']}")
    assert in_use.status_code == 409 and "used by 1 object" in in_use.json()["detail"]
    assert client.delete(f"{objects}/{o1['id']}").status_code == 204
    assert [o["id"] for o in client.get(objects).json()] == [o2["id"]]

    other_files = files_under(settings.data_dir / "media" / str(other))
    assert client.delete(f"/api/v1/projects/{pid}/media/{m1['id']}").status_code == 204
    assert not (settings.data_dir / "media" / str(pid)).joinpath(str(m1["id"])).exists()
    assert [m["id"] for m in client.get(f"/api/v1/projects/{pid}/media").json()] == [m2["id"]]
    assert client.delete(f"/api/v1/projects/{pid}").status_code == 204
    assert files_under(settings.data_dir / "media" / str(pid)) == []
    assert files_under(settings.data_dir / "media" / str(other)) == other_files
    assert client.get(f"/api/v1/projects/{other}/media/{keep['id']}").status_code == 200


def test_two_frame_video_is_accepted(client, tmp_path):
    """x264 holds frames back; a clip shorter than its reorder delay must still be accepted."""
    pid = video_project(client)
    data = synthetic_video(tmp_path / "two.mp4", frames=2).read_bytes()
    response = upload(client, pid, ("two.mp4", data, "video/mp4"))
    assert response.status_code == 201, response.text
    assert wait_media_ready(client, pid, response.json()[0]["id"])["num_frames"] == 2


def test_an_upload_cut_off_before_its_closing_boundary_stores_nothing(client, settings, tmp_path):
    # Two files, the second cut short (a dropped connection): neither is stored, and the answer says
    # what happened instead of asking for the 'files' field that was sent.
    pid = video_project(client)
    whole = synthetic_video(tmp_path / "ok.mp4").read_bytes()
    parts = [
        b'--XX\r\nContent-Disposition: form-data; name="files"; filename="ok.mp4"\r\n'
        b"Content-Type: video/mp4\r\n\r\n" + whole + b"\r\n",
        b'--XX\r\nContent-Disposition: form-data; name="files"; filename="cut.mp4"\r\n'
        b"Content-Type: video/mp4\r\n\r\n" + whole[:5000],
    ]
    for body in (parts[0] + parts[1], parts[1]):
        response = client.post(
            f"/api/v1/projects/{pid}/media",
            content=body,
            headers={"content-type": "multipart/form-data; boundary=XX"},
        )
        assert response.status_code == 400, response.text
        assert "before the end of its multipart body" in response.json()["detail"]
    assert client.get(f"/api/v1/projects/{pid}/media").json() == []
    assert files_under(settings.data_dir / "media") == [] and files_under(settings.data_dir / "tmp") == []
    # the same files with the closing boundary are taken
    response = client.post(
        f"/api/v1/projects/{pid}/media",
        content=parts[0] + b"--XX--\r\n",
        headers={"content-type": "multipart/form-data; boundary=XX"},
    )
    assert response.status_code == 201, response.text
