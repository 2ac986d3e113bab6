"""Image sequences as video: a ZIP of numbered frames, or several frames in one request, is one video."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import VOS, files_under, need_shared, png_bytes, upload, wait_media_ready


def video_project(client) -> int:
    return client.post("/api/v1/projects", json={"name": "v", "media_type": "video"}).json()["id"]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buf.getvalue()


def shade(i: int) -> int:
    return 10 + 15 * i  # frame i is one grey level, so a frame shows which file it came from


def numbered_png(i: int, size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (shade(i),) * 3).save(buf, format="PNG")
    return buf.getvalue()


def frame_shade(client, pid: int, mid: int, index: int) -> float:
    response = client.get(f"/api/v1/projects/{pid}/media/{mid}/frames/{index}")
    assert response.status_code == 200
    return float(np.asarray(Image.open(io.BytesIO(response.content)).convert("L")).mean())


def nothing_stored(client, settings, pid: int) -> None:
    assert client.get(f"/api/v1/projects/{pid}/media").json() == []
    assert files_under(settings.data_dir / "media") == [] and files_under(settings.data_dir / "tmp") == []


def test_davis_layout_zip_is_one_video(client):
    sequence = need_shared(VOS / "hockey")
    jpegs = sorted((sequence / "JPEGImages").glob("*.jpg"))
    members = {f"DAVIS/JPEGImages/480p/hockey/{p.name}": p.read_bytes() for p in jpegs}
    # The masks beside the frames are not frames
    members |= {f"DAVIS/Annotations/480p/hockey/{p.name}": p.read_bytes() for p in (sequence / "Annotations").glob("*")}
    pid = video_project(client)
    response = client.post(
        f"/api/v1/projects/{pid}/media",
        files=[("files", ("hockey.zip", zip_bytes(members), "application/zip"))],
        data={"fps": "24"},
    )
    assert response.status_code == 201, response.text
    (media,) = response.json()
    ready = wait_media_ready(client, pid, media["id"])
    assert ready["status"] == "ready", ready
    assert (ready["num_frames"], ready["width"], ready["height"], ready["fps"]) == (len(jpegs), 854, 480, 24.0)
    assert ready["name"] == "hockey.zip"
    # JPEG frames are served as they were in the ZIP, in their order
    for index in (0, 37, len(jpegs) - 1):
        frame = client.get(f"/api/v1/projects/{pid}/media/{media['id']}/frames/{index}")
        assert frame.content == jpegs[index].read_bytes()
    assert client.get(f"/api/v1/projects/{pid}/media/{media['id']}/thumbnail").status_code == 200


@pytest.mark.parametrize(
    "layout",
    ["JPEGImages/clip/{name}", "clip/JPEGImages/{name}", "{name}", "frames/{name}"],
    ids=["mivos", "per-sequence", "zip-root", "flat-folder"],
)
def test_layouts_and_natural_order(client, layout):
    # Unpadded numbers: "frame10" sorts after "frame9" (a plain string sort would put it second).
    order = list(range(12))
    members = {layout.format(name=f"frame{i}.png"): numbered_png(i) for i in order}
    shuffled = dict(random.Random(3).sample(sorted(members.items()), len(members)))
    shuffled["notes.txt"] = b"not a frame"
    shuffled["__MACOSX/._frame1.png"] = b"resource fork"
    pid = video_project(client)
    response = upload(client, pid, ("clip.zip", zip_bytes(shuffled), "application/zip"))
    assert response.status_code == 201, response.text
    ready = wait_media_ready(client, pid, response.json()[0]["id"])
    assert ready["status"] == "ready" and ready["num_frames"] == 12 and (ready["width"], ready["height"]) == (64, 48)
    # PNG frames re-encoded as JPEG: close, not equal
    assert [round(frame_shade(client, pid, ready["id"], i)) for i in order] == [shade(i) for i in order]


def test_several_frames_in_one_request_are_one_video(client):
    names = [f"{i}.png" for i in range(1, 11)]
    files = [(name, numbered_png(int(name[:-4])), "image/png") for name in names]
    random.Random(5).shuffle(files)
    pid = video_project(client)
    response = upload(client, pid, *files)
    assert response.status_code == 201, response.text
    (media,) = response.json()
    assert media["name"] == "1-10 (10 frames)"
    ready = wait_media_ready(client, pid, media["id"])
    assert ready["num_frames"] == 10
    # frame index 0 is 1.png, index 9 is 10.png
    shades = [round(frame_shade(client, pid, media["id"], index)) for index in range(10)]
    assert shades == [shade(i) for i in range(1, 11)]
    stored = client.get(f"/api/v1/projects/{pid}/media/{media['id']}/file")
    with zipfile.ZipFile(io.BytesIO(stored.content)) as archive:
        assert sorted(archive.namelist()) == sorted(names)


def test_odd_frame_size_is_refused_naming_the_frame(client, settings):
    members = {f"seq/{i:05d}.png": numbered_png(i) for i in range(6)}
    members["seq/00004.png"] = numbered_png(4, size=(80, 48))
    pid = video_project(client)
    response = upload(client, pid, ("seq.zip", zip_bytes(members), "application/zip"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "seq/00004.png" in detail and "80x48" in detail and "64x48" in detail
    nothing_stored(client, settings, pid)
    # the same as separate files, with another file in the request that was fine
    files = [(f"{i}.png", numbered_png(i, size=(64, 48) if i != 2 else (64, 50)), "image/png") for i in range(4)]
    response = upload(client, pid, *files)
    assert response.status_code == 422 and "'2.png'" in response.json()["detail"]
    nothing_stored(client, settings, pid)


def test_bad_sequences_store_nothing(client, settings, tmp_path: Path):
    pid = video_project(client)
    two = {f"a/{i}.png": numbered_png(i) for i in range(3)} | {f"b/{i}.png": numbered_png(i) for i in range(3)}
    cases = {
        "two folders": (zip_bytes(two), "2 folders"),
        "no frames": (zip_bytes({"readme.txt": b"hello"}), "no JPEG or PNG frames"),
        "damaged frame": (
            zip_bytes({"s/0.png": numbered_png(0), "s/1.png": numbered_png(1)[:40]}),
            "'s/1.png'",
        ),
        "not an image": (zip_bytes({"s/0.png": numbered_png(0), "s/1.jpg": b"GIF89a" + b"\0" * 64}), "'s/1.jpg'"),
        "cut-off zip": (zip_bytes({f"s/{i}.png": numbered_png(i) for i in range(3)})[:-30], "not a readable ZIP"),
    }
    for case, (data, expected) in cases.items():
        response = upload(client, pid, ("x.zip", data, "application/zip"))
        assert response.status_code == 422, (case, response.text)
        assert expected in response.json()["detail"], (case, response.json())
        nothing_stored(client, settings, pid)
    # frames together with a video: which one is meant is unclear, so neither is stored
    one = zip_bytes({f"s/{i}.png": numbered_png(i) for i in range(3)})
    response = upload(client, pid, ("0.png", png_bytes(), "image/png"), ("clip.zip", one, "application/zip"))
    assert response.status_code == 422 and "Frames and videos" in response.json()["detail"]
    nothing_stored(client, settings, pid)
    response = client.post(
        f"/api/v1/projects/{pid}/media",
        files=[("files", ("a.zip", zip_bytes({"0.png": numbered_png(0)}), "application/zip"))],
        data={"fps": "-3"},
    )
    assert response.status_code == 422 and "fps" in response.json()["detail"]
    nothing_stored(client, settings, pid)
