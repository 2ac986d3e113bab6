"""Auto-annotation through the real HTTP API on a real people clip (DAVIS hockey, 75 frames): the
offline HOG person detector every 5 frames, ByteTrack, one object per track with a box on every frame
it covers; masks from the OpenCV engine; cancel; and a 422 for each kind of bad request."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pycocotools import mask as mask_utils

from tests.conftest import VOS, X264, make_settings, need_shared, upload, wait_job, wait_media_ready
from video_seg_backend.evaluation.clicker import mask_box
from video_seg_backend.main import create_app

SEQUENCE = "hockey"


def encode_clip(frames: list[Path], path: Path, fps: int = 24) -> Path:
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        first = np.asarray(Image.open(frames[0]).convert("RGB"))
        stream.width, stream.height, stream.pix_fmt = first.shape[1], first.shape[0], "yuv420p"
        # Near-lossless: the detector sees what the JPEGs show; the same pixels on every run (conftest.X264).
        stream.options = {"crf": "12", **X264}
        for frame in frames:
            rgb = np.asarray(Image.open(frame).convert("RGB"))
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    return path


@pytest.fixture(scope="module")
def people_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = need_shared(VOS / SEQUENCE)
    frames = sorted((folder / "JPEGImages").glob("*.jpg"))
    return encode_clip(frames, tmp_path_factory.mktemp("clip") / f"{SEQUENCE}.mp4")


def _truth_box(index: int) -> tuple[float, float, float, float] | None:
    truth = np.asarray(Image.open(VOS / SEQUENCE / "Annotations" / f"{index:05d}.png")) > 0
    if truth.ndim == 3:
        truth = truth.any(axis=2)
    return mask_box(truth)


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _open(client: TestClient, clip: Path) -> tuple[int, str]:
    pid = client.post("/api/v1/projects", json={"name": "people", "media_type": "video"}).json()["id"]
    (media,) = upload(client, pid, (clip.name, clip.read_bytes(), "video/mp4")).json()
    assert wait_media_ready(client, pid, media["id"], timeout=120)["status"] == "ready"
    return pid, f"/api/v1/projects/{pid}/media/{media['id']}"


def test_hog_auto_annotation_makes_person_objects_with_a_box_on_every_frame(tmp_path: Path, people_clip: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        pid, base = _open(client, people_clip)
        job = client.post(f"{base}/auto-annotate", json={"concept": "person", "every": 5, "masks": "box"})
        assert job.status_code == 202, job.text
        assert job.json()["kind"] == "auto-annotate" and job.json()["params"]["detector"] == "hog-person"
        done = wait_job(client, job.json()["id"], timeout=300)
        assert done["status"] == "completed", done["error"]
        result = done["params"]["result"]
        assert result["detection_frames"] == 16  # frames 0, 5, ..., 70 and the last, 74

        labels = {label["id"]: label["name"] for label in client.get(f"/api/v1/projects/{pid}/labels").json()}
        objects = client.get(f"{base}/objects").json()
        assert objects, "no person found on hockey"
        assert len(objects) == result["tracks"] == len(result["object_ids"])
        assert {labels[o["label_id"]] for o in objects} == {"person"}  # the label was made from the concept

        annotations = client.get(f"{base}/annotations").json()
        best = 0.0
        for obj in objects:
            own = sorted((a for a in annotations if a["object_id"] == obj["id"]), key=lambda a: a["frame_index"])
            frames = [a["frame_index"] for a in own]
            assert len(frames) >= 2 and frames == list(range(frames[0], frames[-1] + 1)), "a box on every frame"
            assert all(a["source"] == "propagated" and a["area"] > 0 for a in own)
            for a in own:  # masks="box": the mask is the box, so its bbox is the box
                x, y, w, h = a["bbox"]
                assert a["area"] == pytest.approx(w * h, rel=0.01)
                truth = _truth_box(a["frame_index"])
                if truth is not None:
                    best = max(best, _iou((x, y, x + w, y + h), truth))
        # The eval script finds the player at IoU >= 0.5 on ~20 % of hockey's frames; some track must.
        assert best >= 0.5, f"no box matches the hockey player (best IoU {best:.2f})"


def test_masks_come_from_the_segmenting_model_inside_each_box(tmp_path: Path, people_clip: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        _, base = _open(client, people_clip)
        job = client.post(f"{base}/auto-annotate", json={"concept": "people", "every": 10, "model": "opencv"})
        assert job.status_code == 202, job.text
        assert job.json()["params"]["mask_model"] == "opencv"
        done = wait_job(client, job.json()["id"], timeout=300)
        assert done["status"] == "completed", done["error"]
        annotations = client.get(f"{base}/annotations").json()
        assert annotations
        shaped = 0
        for a in annotations:
            mask = mask_utils.decode({"size": a["rle"]["size"], "counts": a["rle"]["counts"].encode()})
            assert mask.shape == (480, 854)
            x, y, w, h = a["bbox"]
            shaped += int(mask.sum() < 0.95 * w * h)  # GrabCut's figure, not the filled box
        assert shaped > len(annotations) // 2, "the masks are the boxes, not segmentations"


def test_cancel_stops_the_job_and_leaves_no_half_made_objects(tmp_path: Path, people_clip: Path) -> None:
    settings = make_settings(tmp_path, job_frame_delay_s=0.3)
    with TestClient(create_app(settings)) as client:
        _, base = _open(client, people_clip)
        job = client.post(f"{base}/auto-annotate", json={"concept": "person", "every": 1, "masks": "box"}).json()
        deadline = time.monotonic() + 60
        while client.get(f"/api/v1/jobs/{job['id']}").json()["progress_done"] < 2:
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        canceled_at = client.post(f"/api/v1/jobs/{job['id']}/cancel").json()["progress_done"]
        final = wait_job(client, job["id"])
        assert final["status"] == "canceled"
        assert final["progress_done"] <= canceled_at + 2, "cancel must stop within about one frame"
        assert final["progress_total"] == 75
        assert client.get(f"{base}/objects").json() == []  # canceled while detecting: nothing written


def test_bad_requests_are_refused_with_what_was_expected(tmp_path: Path, people_clip: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        pid, base = _open(client, people_clip)
        url = f"{base}/auto-annotate"
        car = client.post(url, json={"concept": "car"})
        assert car.status_code == 422 and "finds: person" in car.json()["detail"]
        assert client.get(f"/api/v1/projects/{pid}/labels").json() == []  # the label "car" was not kept
        for body, words in [
            ({"concept": "person", "threshold": 1.5}, "threshold"),
            ({"concept": "person", "threshold": -0.1}, "threshold"),
            ({"concept": "person", "every": 0}, "every"),
            ({"concept": ""}, "concept"),
            ({}, "Name a concept"),
            ({"concept": "person", "detector": "yolo-nothing"}, "Unknown detector"),
            ({"concept": "person", "detector": "sam3"}, "needs a Hugging Face token with access"),
            ({"concept": "person", "model": "no-such-model"}, "Unknown model"),
            ({"concept": "person", "model": "sam3"}, "masks need a click model"),
            ({"concept": "person", "colour": "red"}, "not a field"),
        ]:
            answer = client.post(url, json=body)
            assert answer.status_code == 422, (body, answer.text)
            assert words in answer.json()["detail"], (body, answer.json()["detail"])
        other = client.post("/api/v1/projects", json={"name": "other", "media_type": "video"}).json()["id"]
        foreign = client.post(f"/api/v1/projects/{other}/labels", json={"name": "person"}).json()["id"]
        assert client.post(url, json={"label_id": foreign}).status_code == 404
        assert client.get(f"/api/v1/projects/{pid}/jobs").json() == []
        detectors = client.get("/api/v1/detectors").json()
        assert detectors["detectors"][0] == {"name": "hog-person", "labels": ["person"], "error": None}
        assert detectors["sam3_available"] is False and "offline" in detectors["sam3_reason"]
