"""Re-tracking from a correction keeps the masks another key frame tracked with more confidence,
while that key frame stands as it was (real API, OpenCV engine)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from tests.conftest import synthetic_video, wait_job
from tests.review.test_review_api import GONE, N, tracked, vanishing_video
from video_seg_backend.models import Annotation

SURE = range(12, N)  # frames whose first track is made more confident than any new one
DOUBTFUL = range(6, 12)


def track(client, base: str, obj: int, start: int) -> dict:
    job = client.post(f"{base}/propagate", json={"object_ids": [obj], "start_frame": start, "direction": "forward"})
    assert job.status_code == 202, job.text
    done = wait_job(client, job.json()["id"])
    assert done["status"] == "completed", done
    return done


def masks(client, base: str) -> dict[int, dict]:
    return {a["frame_index"]: a for a in client.get(f"{base}/annotations").json()}


def click(client, base: str, obj: int, frame: int, x: float, y: float) -> None:
    response = client.post(f"{base}/prompts", json={"object_id": obj, "frame_index": frame, "x": x, "y": y})
    assert response.status_code == 201, response.text


def test_a_correction_s_track_keeps_the_more_confident_masks_of_an_unchanged_key_frame(client, tmp_path):
    _, base, obj, _ = tracked(client, tmp_path, synthetic_video(tmp_path / "v.mp4", frames=N))
    # What a drifting first track leaves: doubtful masks after frame 5, sure ones from frame 12.
    with Session(client.app.state.studio.db) as session:
        frame = col(Annotation.frame_index)
        session.execute(update(Annotation).where(frame.in_(list(SURE))).values(confidence=1.0))
        session.execute(update(Annotation).where(frame.in_(list(DOUBTFUL))).values(confidence=0.0))
        session.commit()
    first = masks(client, base)

    # The person corrects frame 5 with a click on the disc and tracks on from there.
    x, y, w, h = first[5]["bbox"]
    click(client, base, obj, 5, x + w / 2, y + h / 2)
    done = track(client, base, obj, 5)
    after = masks(client, base)
    assert done["params"]["result"]["kept"] == len(SURE)
    assert f"{len(SURE)} masks kept from a more confident track" in done["params"]["result"]["summary"]
    for f in SURE:  # the first track's masks, untouched
        assert after[f]["rle"] == first[f]["rle"] and after[f]["confidence"] == 1.0
    for f in DOUBTFUL:  # re-tracked from the correction
        assert after[f]["confidence"] > 0.0

    # Undo gives back the doubtful masks as they were, confidence included.
    undone = client.post(f"/api/v1/jobs/{done['id']}/undo")
    assert undone.status_code == 200, undone.text
    back = masks(client, base)
    assert [back[f]["confidence"] for f in DOUBTFUL] == [0.0] * len(DOUBTFUL)
    assert all(back[f]["rle"] == first[f]["rle"] for f in DOUBTFUL)
    redone = client.post(f"/api/v1/jobs/{done['id']}/redo")
    assert redone.status_code == 200, redone.text

    # Frame 0 changes (another click): its old track no longer stands, and re-tracking from the
    # correction replaces it everywhere it reaches.
    click(client, base, obj, 0, 34, 62)
    again = track(client, base, obj, 5)
    assert again["params"]["result"]["kept"] == 0
    assert all(masks(client, base)[f]["confidence"] < 1.0 for f in SURE)


def test_re_tracking_from_the_same_key_frame_replaces_its_own_masks(client, tmp_path):
    _, base, obj, _ = tracked(client, tmp_path, synthetic_video(tmp_path / "v.mp4", frames=N))
    with Session(client.app.state.studio.db) as session:
        session.execute(update(Annotation).where(col(Annotation.frame_index) > 0).values(confidence=1.0))
        session.commit()
    done = track(client, base, obj, 0)
    assert done["params"]["result"]["kept"] == 0
    assert all(a["confidence"] < 1.0 for f, a in masks(client, base).items() if f > 0)


def test_kept_masks_are_neither_drift_to_stop_at_nor_a_lost_object(client, tmp_path):
    """The disc vanishes from frame GONE: a re-track from frame 5 is doubtful there, but where the
    first track's masks are kept (surer) there is nothing to stop at or to call lost."""
    _, base, obj, _ = tracked(client, tmp_path, vanishing_video(tmp_path / "v.mp4"))
    x, y, w, h = masks(client, base)[5]["bbox"]
    click(client, base, obj, 5, x + w / 2, y + h / 2)
    # Without kept masks the re-track stops at drift where the disc is gone. The first track's
    # masks there are made doubtful first: how sure that track was of the empty frames depends on
    # how the clip happened to be compressed (with x264's mbtree off they were kept, and nothing
    # stopped), and this part is about a re-track that replaces them.
    with Session(client.app.state.studio.db) as session:
        session.execute(update(Annotation).where(col(Annotation.frame_index) >= GONE).values(confidence=0.0))
        session.commit()
    stopped = client.post(f"{base}/propagate", json={"start_frame": 5, "direction": "forward", "stop_below": 0.3})
    assert wait_job(client, stopped.json()["id"])["params"]["result"]["stopped_at"] == [GONE]
    client.post(f"/api/v1/jobs/{stopped.json()['id']}/undo")
    with Session(client.app.state.studio.db) as session:
        session.execute(update(Annotation).where(col(Annotation.frame_index) >= GONE).values(confidence=1.0))
        session.commit()
    job = client.post(f"{base}/propagate", json={"start_frame": 5, "direction": "forward", "stop_below": 0.3})
    result = wait_job(client, job.json()["id"])["params"]["result"]
    assert result["kept"] == N - GONE
    assert result["stopped_at"] == [] and result["lost"] == []


def test_keep_confident_false_replaces_every_mask_the_runs_reach(client, tmp_path):
    _, base, obj, _ = tracked(client, tmp_path, synthetic_video(tmp_path / "v.mp4", frames=N))
    with Session(client.app.state.studio.db) as session:
        session.execute(update(Annotation).where(col(Annotation.frame_index) > 5).values(confidence=1.0))
        session.commit()
    x, y, w, h = masks(client, base)[5]["bbox"]
    click(client, base, obj, 5, x + w / 2, y + h / 2)
    body = {"object_ids": [obj], "start_frame": 5, "direction": "forward", "keep_confident": False}
    job = client.post(f"{base}/propagate", json=body)
    assert job.status_code == 202, job.text
    done = wait_job(client, job.json()["id"])
    assert done["params"]["keep_confident"] is False and done["params"]["result"]["kept"] == 0
    assert all(a["confidence"] < 1.0 for f, a in masks(client, base).items() if f > 5)
    bad = client.post(f"{base}/propagate", json={**body, "keep_confident": "sometimes"})
    assert bad.status_code == 422 and "keep_confident" in bad.text
