"""Clicks, masks, tracking and previews through the API with the weight-free OpenCV engine."""

from __future__ import annotations

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from tests.conftest import synthetic_frame, synthetic_video, upload, wait_job, wait_media_ready

W, H, N = 160, 120, 12


def truth(i: int) -> np.ndarray:
    frame = synthetic_frame(i, W, H)
    return (frame[..., 0] == 230) & (frame[..., 1] == 40)


def decode(rle: dict) -> np.ndarray:
    return mask_utils.decode({"size": rle["size"], "counts": rle["counts"].encode()}).astype(bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.fixture
def video(client, tmp_path):
    pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
    label = client.post(f"/api/v1/projects/{pid}/labels", json={"name": "disc", "color": "#00ff00"}).json()
    (media,) = upload(
        client, pid, ("v.mp4", synthetic_video(tmp_path / "v.mp4", frames=N).read_bytes(), "video/mp4")
    ).json()
    wait_media_ready(client, pid, media["id"])
    base = f"/api/v1/projects/{pid}/media/{media['id']}"
    obj = client.post(f"{base}/objects", json={"label_id": label["id"]}).json()
    return {"pid": pid, "base": base, "obj": obj["id"]}


def click(client, video, frame: int, x: float, y: float, positive: bool = True):
    return client.post(
        f"{video['base']}/prompts",
        json={"object_id": video["obj"], "frame_index": frame, "kind": "point", "x": x, "y": y, "positive": positive},
    )


def test_click_returns_mask_under_the_click(client, video):
    response = click(client, video, 0, 30, 60)
    assert response.status_code == 201, response.text
    body = response.json()
    mask = decode(body["annotation"]["rle"])
    assert mask.shape == (H, W) and mask[60, 30]
    assert iou(mask, truth(0)) > 0.8
    assert body["annotation"]["area"] == int(mask.sum()) and body["annotation"]["source"] == "prompt"
    stored = client.get(f"{video['base']}/annotations", params={"frame": 0}).json()
    assert stored[0]["rle"] == body["annotation"]["rle"]
    assert [p["frame_index"] for p in client.get(f"{video['base']}/prompts", params={"frame": 0}).json()] == [0]
    objects = client.get(f"{video['base']}/objects").json()
    assert objects[0]["key_frames"] == [0]


def test_box_prompt_and_prompt_removal(client, video):
    response = client.post(
        f"{video['base']}/prompts",
        json={"object_id": video["obj"], "frame_index": 3, "kind": "box", "x0": 24, "y0": 36, "x1": 74, "y1": 84},
    )
    assert response.status_code == 201, response.text
    assert iou(decode(response.json()["annotation"]["rle"]), truth(3)) > 0.8
    prompt_id = response.json()["prompt"]["id"]
    removed = client.delete(f"{video['base']}/prompts/{prompt_id}")
    assert removed.status_code == 200 and removed.json()["annotation"] is None
    assert client.get(f"{video['base']}/annotations", params={"frame": 3}).json() == []


def test_a_box_drawn_leftwards_from_outside_the_frame_is_clipped_to_the_frame(client, video):
    """Dragged from beyond the right edge to the left and upwards: the corners are put in order
    first, then clipped, so the box keeps the part inside the frame."""
    response = client.post(
        f"{video['base']}/prompts",
        json={"object_id": video["obj"], "frame_index": 3, "kind": "box", "x0": 200, "y0": 84, "x1": 24, "y1": 36},
    )
    assert response.status_code == 201, response.text
    prompt = response.json()["prompt"]
    assert [prompt["x0"], prompt["y0"], prompt["x1"], prompt["y1"]] == [24, 36, W, 84]
    assert decode(response.json()["annotation"]["rle"])[truth(3)].mean() > 0.8  # the disc is inside the box


def test_a_box_outside_the_frame_or_without_its_corners_is_refused(client, video):
    def box(**corners: float):  # type: ignore[no-untyped-def]
        body = {"object_id": video["obj"], "frame_index": 0, "kind": "box", **corners}
        return client.post(f"{video['base']}/prompts", json=body)

    outside = box(x0=W + 40, y0=10, x1=W + 10, y1=50)
    assert outside.status_code == 422 and "at least 2x2 pixels inside the 160x120 frame" in outside.json()["detail"]
    no_corners = box(x0=10, y0=10)
    assert no_corners.status_code == 422 and "needs x0, y0, x1 and y1" in no_corners.json()["detail"]
    unknown = client.post(f"{video['base']}/prompts", json={"object_id": video["obj"], "frame_index": 0, "kind": "x"})
    assert unknown.status_code == 422
    assert client.get(f"{video['base']}/prompts").json() == []


def test_the_prompt_request_is_a_point_or_a_box_in_the_openapi_document(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schemas["PromptCreate"]["oneOf"] == [
        {"$ref": "#/components/schemas/PointPromptCreate"},
        {"$ref": "#/components/schemas/BoxPromptCreate"},
    ]
    point, box = schemas["PointPromptCreate"], schemas["BoxPromptCreate"]
    assert set(point["required"]) == {"object_id", "frame_index", "x", "y"}  # kind defaults to point
    assert set(box["required"]) == {"object_id", "frame_index", "kind", "x0", "y0", "x1", "y1"}
    assert "x0" not in point["properties"] and "x" not in box["properties"]


def test_bad_prompts_are_refused(client, video):
    outside = click(client, video, 0, 500, 10)
    assert outside.status_code == 422 and "outside the 160x120 frame" in outside.json()["detail"]
    frame = click(client, video, 99, 10, 10)
    assert frame.status_code == 422 and "0..11" in frame.json()["detail"]
    no_xy = client.post(f"{video['base']}/prompts", json={"object_id": video["obj"], "frame_index": 0})
    assert no_xy.status_code == 422 and "needs x and y" in no_xy.json()["detail"]
    unknown = client.post(f"{video['base']}/prompts", json={"object_id": 999, "frame_index": 0, "x": 1, "y": 1})
    assert unknown.status_code == 404 and unknown.json()["detail"] == "Object not found"
    model = client.post(
        f"{video['base']}/prompts",
        json={"object_id": video["obj"], "frame_index": 0, "x": 1, "y": 1, "model": "sam2.1_hiera_large"},
    )
    assert model.status_code == 400 and "not available" in model.json()["detail"]


def test_propagate_fills_every_frame_and_follows_the_disc(client, video):
    click(client, video, 0, 30, 60)
    no_object = client.post(f"{video['base']}/propagate", json={"object_ids": [12345]})
    assert no_object.status_code == 404
    started = client.post(f"{video['base']}/propagate", json={"start_frame": 0, "direction": "forward"})
    assert started.status_code == 202, started.text
    job = wait_job(client, started.json()["id"])
    assert job["status"] == "completed", job
    assert job["progress_done"] == job["progress_total"] == N - 1
    masks = client.get(f"{video['base']}/annotations", params={"start": 0, "end": N - 1}).json()
    assert [m["frame_index"] for m in masks] == list(range(N))
    assert {m["source"] for m in masks[1:]} == {"propagated"}
    scores = [iou(decode(m["rle"]), truth(m["frame_index"])) for m in masks]
    assert min(scores) > 0.7, scores
    media = client.get(video["base"]).json()
    assert media["annotated_frames"] == N


def test_every_frame_is_tracked_from_the_nearer_key_frame(client, video):
    click(client, video, 0, 30, 60)
    click(client, video, 8, 30 + 8 * 6, 60)
    whole = client.post(f"{video['base']}/propagate", json={"start_frame": None}).json()
    # 1..4 from frame 0, 5..7 from frame 8 (backward), 9..11 from frame 8
    assert whole["params"]["runs"] == [[0, "forward", 4], [8, "backward", 3], [8, "forward", 3]]
    assert wait_job(client, whole["id"])["status"] == "completed"
    click(client, video, 4, 30 + 4 * 6, 60)
    # a correction on frame 4 re-tracks only the stretches to its neighbours 0 and 8
    correction = client.post(f"{video['base']}/propagate", json={"start_frame": 4, "direction": "both"}).json()
    assert correction["params"]["runs"] == [
        [4, "forward", 2],
        [8, "backward", 1],
        [0, "forward", 2],
        [4, "backward", 1],
    ]
    assert wait_job(client, correction["id"])["status"] == "completed"
    step = client.post(f"{video['base']}/propagate", json={"start_frame": 8, "direction": "forward", "num_frames": 2})
    assert step.json()["params"]["runs"] == [[8, "forward", 2]]
    wait_job(client, step.json()["id"])
    from_plain_frame = client.post(f"{video['base']}/propagate", json={"start_frame": 2, "direction": "both"}).json()
    assert from_plain_frame["params"]["runs"] == [[2, "forward", 1], [2, "backward", 1]]
    wait_job(client, from_plain_frame["id"])
    sources = {m["frame_index"]: m["source"] for m in client.get(f"{video['base']}/annotations").json()}
    assert sources[0] == sources[4] == sources[8] == "prompt"
    assert all(sources[i] == "propagated" for i in range(N) if i not in (0, 4, 8))


def test_nothing_to_track_without_a_prompt(client, video):
    response = client.post(f"{video['base']}/propagate", json={"start_frame": 0})
    assert response.status_code == 422 and "add a prompt" in response.json()["detail"]


def test_annotated_preview_draws_the_mask(client, video):
    import cv2

    box = {"object_id": video["obj"], "frame_index": 0, "kind": "box", "x0": 8, "y0": 38, "x1": 52, "y1": 82}
    inside = decode(client.post(f"{video['base']}/prompts", json=box).json()["annotation"]["rle"])
    assert inside.sum() > 500
    plain = cv2.imdecode(np.frombuffer(client.get(f"{video['base']}/frames/0").content, np.uint8), cv2.IMREAD_COLOR)
    response = client.get(f"{video['base']}/frames/0/annotated")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    drawn = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
    # the green label colour is blended into the mask; the background far away is unchanged
    assert drawn[inside][:, 1].mean() > plain[inside][:, 1].mean() + 50
    assert np.abs(drawn[5:20, 120:150].astype(int) - plain[5:20, 120:150].astype(int)).mean() < 3
    # a crisp outline: pixels on the mask border are pure label colour (G high, R and B low)
    border = inside & ~cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert np.median(drawn[border][:, 1]) > 180
    hidden = client.get(f"{video['base']}/frames/0/annotated", params={"hidden": str(video["obj"])})
    hidden_img = cv2.imdecode(np.frombuffer(hidden.content, np.uint8), cv2.IMREAD_COLOR)
    assert np.abs(hidden_img.astype(int) - plain.astype(int)).mean() < 3


def test_summary_and_restoring_masks_after_an_undo(client, video):
    box = {"object_id": video["obj"], "frame_index": 0, "kind": "box", "x0": 8, "y0": 38, "x1": 52, "y1": 82}
    client.post(f"{video['base']}/prompts", json=box)
    wait_job(client, client.post(f"{video['base']}/propagate", json={"start_frame": 0, "num_frames": 5}).json()["id"])
    (summary,) = client.get(f"{video['base']}/annotations/summary").json()
    areas = summary.pop("areas")
    assert summary == {"object_id": video["obj"], "ranges": [[0, 5]], "key_frames": [0]}
    stored = client.get(f"{video['base']}/annotations").json()
    assert areas == [a["area"] for a in stored] and min(areas) > 0  # each frame's mask size, for the timeline

    # the studio deletes the object, then undoes: a new object gets the old masks back as they were
    saved = client.get(f"{video['base']}/annotations").json()
    label_id = client.get(f"{video['base']}/objects").json()[0]["label_id"]
    assert client.delete(f"{video['base']}/objects/{video['obj']}").status_code == 204
    assert client.get(f"{video['base']}/annotations/summary").json() == []
    new = client.post(f"{video['base']}/objects", json={"label_id": label_id}).json()["id"]
    body = [
        {"object_id": new, "frame_index": a["frame_index"], "rle": a["rle"], "source": a["source"], "score": a["score"]}
        for a in saved
    ]
    restored = client.put(f"{video['base']}/annotations", json=body)
    assert restored.status_code == 200, restored.text
    assert [(a["frame_index"], a["rle"], a["source"]) for a in restored.json()] == [
        (a["frame_index"], a["rle"], a["source"]) for a in saved
    ]
    assert client.get(f"{video['base']}/annotations/summary").json()[0]["ranges"] == [[0, 5]]


def test_put_annotations_refuses_bad_masks_and_writes_nothing(client, video):
    counts = mask_utils.encode(np.asfortranarray(truth(1).astype(np.uint8)))["counts"].decode()
    good = {"object_id": video["obj"], "frame_index": 1, "rle": {"size": [H, W], "counts": counts}}
    cases = [
        ({**good, "rle": {"size": [10, 10], "counts": counts}}, 422, "[height, width] = [120, 160]"),
        ({**good, "rle": {"size": [H, W], "counts": "not an rle"}}, 422, "not a COCO compressed RLE"),
        ({**good, "frame_index": 50}, 422, "out of range 0..11"),
        ({**good, "object_id": 999}, 404, "object 999 not found"),
        ({**good, "base_rle": good["rle"]}, 422, "base_rle needs base_source"),
        (
            {**good, "base_rle": {"size": [H, W], "counts": "not an rle"}, "base_source": "propagated"},
            422,
            "base_rle is not a COCO compressed RLE",
        ),
    ]
    for bad, status, message in cases:
        response = client.put(f"{video['base']}/annotations", json=[good, bad])
        assert response.status_code == status and message in response.json()["detail"], response.text
    assert client.get(f"{video['base']}/annotations").json() == []


def test_an_object_deleted_while_tracking_ends_the_job_with_a_clear_error(client, video, monkeypatch):
    """A DELETE that lands while the job runs: the job says what happened, not the SQL it failed on."""
    from sqlmodel import Session

    from video_seg_backend.models import TrackedObject

    assert click(client, video, 0, 30, 60).status_code == 201
    state = client.app.state.studio  # type: ignore[attr-defined]
    real = state.segmentation.engine_session

    def delete_then_run(media, model):  # type: ignore[no-untyped-def]
        with Session(state.db) as session:  # the concurrent DELETE, just before the first frame
            session.delete(session.get(TrackedObject, video["obj"]))
            session.commit()
        return real(media, model)

    monkeypatch.setattr(state.segmentation, "engine_session", delete_then_run)
    job = wait_job(client, client.post(f"{video['base']}/propagate", json={"start_frame": 0}).json()["id"])
    assert job["status"] == "failed"
    assert job["error"] == f"Object(s) [{video['obj']}] were deleted while tracking; the frames written before stay."


def test_deleting_the_media_while_tracking_stops_the_job_and_says_so(client, video, monkeypatch):
    """The job row goes with its media; the worker stops before the next frame and whoever follows
    the job over events still hears that it ended, and why."""
    import threading

    assert click(client, video, 0, 30, 60).status_code == 201
    state = client.app.state.studio  # type: ignore[attr-defined]
    real = state.segmentation.engine_session
    deleted = threading.Event()
    frames_after_delete = []

    def tracked_while_deleted(media, model):  # type: ignore[no-untyped-def]
        engine, session = real(media, model)
        propagate = engine.propagate

        def slow_propagate(*args, **kwargs):  # type: ignore[no-untyped-def]
            for i, item in enumerate(propagate(*args, **kwargs)):
                if i == 2:  # the DELETE lands mid-job (the request thread runs it)
                    assert client.delete(video["base"]).status_code == 204
                    deleted.set()
                elif deleted.is_set():
                    frames_after_delete.append(item[0])
                yield item

        monkeypatch.setattr(engine, "propagate", slow_propagate)
        return engine, session

    monkeypatch.setattr(state.segmentation, "engine_session", tracked_while_deleted)
    job_id = client.post(f"{video['base']}/propagate", json={"start_frame": 0}).json()["id"]
    assert state.worker.wait_idle(60)
    assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404  # gone with its media
    assert len(frames_after_delete) <= 1  # stopped within a frame
    subscription, history = state.events.subscribe(video["pid"], last_event_id="0")
    state.events.unsubscribe(subscription)
    events = [p.event.model_dump(mode="json") for p in history]
    finished = [e for e in events if e["type"] == "job.finished" and e["job_id"] == job_id]
    assert finished and finished[-1]["status"] == "canceled"
    assert finished[-1]["error"] == "The media item or project was deleted while the job ran."


def test_undoing_an_object_deletion_brings_back_its_track_id_and_corrections(client, video):
    """The studio's undo of a deletion: the object comes back under its track id, and a frame
    corrected after tracking comes back as the correction of the same tracked mask."""
    click(client, video, 0, 30, 60)
    wait_job(client, client.post(f"{video['base']}/propagate", json={"start_frame": None}).json()["id"])
    click(client, video, 6, 30 + 6 * 6, 60)  # a correction of the tracked mask on frame 6
    (obj,) = client.get(f"{video['base']}/objects").json()
    saved = client.get(f"{video['base']}/annotations", params={"object_id": obj["id"]}).json()
    prompts = client.get(f"{video['base']}/prompts").json()
    corrected = next(a for a in saved if a["frame_index"] == 6)
    tracked = corrected["base_rle"]
    assert corrected["source"] == "prompt" and corrected["base_source"] == "propagated" and tracked is not None
    assert all(a["base_rle"] is None for a in saved if a["frame_index"] != 6)

    assert client.delete(f"{video['base']}/objects/{obj['id']}").status_code == 204
    # a newer object took no track id meanwhile: the old one is free again
    again = client.post(f"{video['base']}/objects", json={"label_id": obj["label_id"], "track_id": obj["track_id"]})
    assert again.status_code == 201, again.text
    assert again.json()["track_id"] == obj["track_id"]
    taken = client.post(f"{video['base']}/objects", json={"label_id": obj["label_id"], "track_id": obj["track_id"]})
    assert taken.status_code == 409 and f"Track id {obj['track_id']} is already used" in taken.json()["detail"]
    new = again.json()["id"]
    fields = ("frame_index", "rle", "source", "score", "base_rle", "base_source")
    restored = client.put(
        f"{video['base']}/annotations", json=[{**{k: a[k] for k in fields}, "object_id": new} for a in saved]
    )
    assert restored.status_code == 200, restored.text
    for p in prompts:
        keys = ("frame_index", "kind", "x", "y", "positive")
        replayed = client.post(f"{video['base']}/prompts", json={**{k: p[k] for k in keys}, "object_id": new})
        assert replayed.status_code == 201, replayed.text
    now = client.get(f"{video['base']}/annotations", params={"object_id": new}).json()
    assert [(a["frame_index"], a["rle"], a["source"]) for a in now] == [
        (a["frame_index"], a["rle"], a["source"]) for a in saved
    ]
    # removing the correction puts the tracked mask back, as before the deletion
    (correction,) = client.get(f"{video['base']}/prompts", params={"frame": 6}).json()
    back = client.delete(f"{video['base']}/prompts/{correction['id']}").json()["annotation"]
    assert back["rle"] == tracked and back["source"] == "propagated"


def test_a_label_in_use_is_deleted_with_its_objects_when_forced(client, video):
    click(client, video, 0, 30, 60)
    (obj,) = client.get(f"{video['base']}/objects").json()
    labels = f"/api/v1/projects/{video['pid']}/labels"
    refused = client.delete(f"{labels}/{obj['label_id']}")
    assert refused.status_code == 409 and "used by 1 object" in refused.json()["detail"]
    forced = client.delete(f"{labels}/{obj['label_id']}", params={"force": True})
    assert forced.status_code == 204, forced.text
    assert client.get(labels).json() == []
    assert client.get(f"{video['base']}/objects").json() == []
    assert client.get(f"{video['base']}/annotations").json() == []
    assert client.get(f"{video['base']}/prompts").json() == []


def test_a_click_made_while_tracking_runs_is_not_overwritten(client, video, monkeypatch):
    """A click is answered at once, even while a tracking job runs; the job must not then write
    its tracked mask over the frame the person just fixed."""
    click(client, video, 0, 30, 60)
    service = client.app.state.studio.segmentation
    engine = service.registry.get("opencv")
    propagate = type(engine).propagate
    answered: dict = {}

    def clicking_propagate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        for frame_index, masks in propagate(self, *args, **kwargs):
            if frame_index == 3 and not answered:  # the person clicks on frame 8 meanwhile
                answered.update(click(client, video, 8, 30 + 8 * 6, 60).json()["annotation"])
            yield frame_index, masks

    monkeypatch.setattr(type(engine), "propagate", clicking_propagate)
    job = client.post(f"{video['base']}/propagate", json={"start_frame": 0, "direction": "forward"}).json()
    assert wait_job(client, job["id"])["status"] == "completed"
    (on8,) = client.get(f"{video['base']}/annotations", params={"frame": 8}).json()
    assert (on8["source"], on8["rle"]) == ("prompt", answered["rle"])


def stored_masks(client, video) -> dict[int, tuple]:
    """Every mask of the object by frame: (rle counts, source, base counts, base source)."""
    return {
        a["frame_index"]: (
            a["rle"]["counts"],
            a["source"],
            (a.get("base_rle") or {}).get("counts"),
            a.get("base_source"),
        )
        for a in client.get(f"{video['base']}/annotations").json()
    }


def track(client, video, **body) -> dict:
    started = client.post(f"{video['base']}/propagate", json=body)
    assert started.status_code == 202, started.text
    job = wait_job(client, started.json()["id"])
    assert job["status"] == "completed", job
    return job


def test_undoing_a_tracking_job_removes_the_masks_it_made_and_redo_puts_them_back(client, video):
    click(client, video, 0, 30, 60)
    before = stored_masks(client, video)
    job = track(client, video, start_frame=0, direction="forward", num_frames=6)
    after = stored_masks(client, video)
    assert sorted(after) == list(range(7))
    undone = client.post(f"/api/v1/jobs/{job['id']}/undo")
    assert undone.status_code == 200, undone.text
    assert undone.json()["params"]["undone"] is True
    assert stored_masks(client, video) == before  # the click's own mask stays, frames 1..6 are empty again
    assert client.get(f"{video['base']}/annotations/summary").json()[0]["ranges"] == [[0, 0]]
    assert client.post(f"/api/v1/jobs/{job['id']}/undo").status_code == 200  # a retry changes nothing
    assert stored_masks(client, video) == before
    redone = client.post(f"/api/v1/jobs/{job['id']}/redo")
    assert redone.status_code == 200 and redone.json()["params"]["undone"] is False
    assert stored_masks(client, video) == after


def test_undoing_a_re_tracking_restores_the_tracked_masks_it_replaced(client, video):
    click(client, video, 0, 30, 60)
    track(client, video, start_frame=0, direction="forward", num_frames=8)
    # A correction on frame 4 (its base: the tracked mask), then re-tracking from it both ways.
    click(client, video, 4, 30 + 4 * 6, 60)
    corrected = stored_masks(client, video)
    assert corrected[4][1] == "prompt" and corrected[4][2] is not None
    retrack = track(client, video, start_frame=4, direction="both")
    changed = stored_masks(client, video)
    assert changed != corrected and sorted(changed) == list(range(N))
    assert client.post(f"/api/v1/jobs/{retrack['id']}/undo").status_code == 200
    assert stored_masks(client, video) == corrected


def test_a_frame_fixed_after_tracking_keeps_its_mask_when_the_tracking_is_undone(client, video):
    click(client, video, 0, 30, 60)
    job = track(client, video, start_frame=0, direction="forward", num_frames=6)
    click(client, video, 4, 30 + 4 * 6, 60)
    fixed = stored_masks(client, video)[4]
    assert client.post(f"/api/v1/jobs/{job['id']}/undo").status_code == 200
    masks = stored_masks(client, video)
    assert sorted(masks) == [0, 4] and masks[4] == fixed


def test_only_the_last_tracking_jobs_of_a_video_can_be_undone(client, video, monkeypatch):
    from video_seg_backend.services import tracking_undo

    monkeypatch.setattr(tracking_undo, "UNDOABLE_TRACKING_JOBS", 1)
    click(client, video, 0, 30, 60)
    first = track(client, video, start_frame=0, direction="forward", num_frames=3)
    second = track(client, video, start_frame=0, direction="forward", num_frames=5)
    old = client.post(f"/api/v1/jobs/{first['id']}/undo")
    assert old.status_code == 410 and "too old to undo" in old.json()["detail"]
    assert client.post(f"/api/v1/jobs/{second['id']}/undo").status_code == 200
    assert sorted(stored_masks(client, video)) == [0, 1, 2, 3]  # the first job's masks, as before the second
    assert client.post("/api/v1/jobs/99999/undo").status_code == 404


def test_a_tracking_whose_object_was_deleted_since_says_it_can_no_longer_be_undone(client, video):
    click(client, video, 0, 30, 60)
    job = track(client, video, start_frame=0, direction="forward", num_frames=3)
    assert client.delete(f"{video['base']}/objects/{video['obj']}").status_code == 204
    gone = client.post(f"/api/v1/jobs/{job['id']}/undo")
    assert gone.status_code == 410 and "deleted since" in gone.json()["detail"]
