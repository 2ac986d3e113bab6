"""A worker's cached video state is rebuilt when the key frames it was built from changed (a click
in the API process), and kept when only tracked masks changed."""

from __future__ import annotations

from sqlmodel import Session

from tests.scale.studio import clicked_video, job, track, wait_for
from video_seg_backend.jobs.propagation import key_frame_mark


def test_the_key_frame_mark_follows_clicks_not_tracking(client, tmp_path):
    video = clicked_video(client, tmp_path, "m", 8)
    db = client.app.state.studio.db

    def mark() -> str:
        with Session(db) as session:
            return key_frame_mark(session, video["mid"])

    clicked = mark()
    tracking = track(client, video)
    wait_for(lambda: job(client, tracking["id"])["status"] == "completed", 30, "tracking ended")
    assert mark() == clicked  # tracked masks are not key frames: a warm state stays valid
    click = {"object_id": video["obj"], "frame_index": 5, "kind": "point", "x": 60, "y": 60, "positive": True}
    assert client.post(f"{video['base']}/prompts", json=click).status_code == 201
    corrected = mark()
    assert corrected != clicked  # a new key frame: a worker's cached state must be rebuilt
    prompts = client.get(f"{video['base']}/prompts", params={"frame": 5}).json()
    assert client.delete(f"{video['base']}/prompts/{prompts[0]['id']}").status_code in (200, 204)
    assert mark() != corrected  # the key frame went away again
