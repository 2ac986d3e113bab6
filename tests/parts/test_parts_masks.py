"""A part's mask stays inside its parent's: after a click, after each tracked frame, after a mask
drawn by hand; through the HTTP API with the weight-free OpenCV engine on the moving disc."""

from __future__ import annotations

import numpy as np

from tests.conftest import wait_job
from tests.parts.conftest import N, Tool, decode, disc, encode


def prompt(tool: Tool, object_id: int, body: dict) -> np.ndarray:
    r = tool.client.post(f"{tool.base}/prompts", json={"object_id": object_id, "frame_index": 0, **body})
    assert r.status_code == 201, r.text
    return decode(r.json()["annotation"]["rle"])


def left_half(i: int) -> np.ndarray:
    """The disc's left half on frame i: a parent mask drawn by hand, smaller than what a click on
    the disc gives (the engine segments the whole red disc)."""
    mask = disc(i).copy()
    mask[:, 30 + 6 * i :] = False
    return mask


def draw(tool: Tool, object_id: int, masks: dict[int, np.ndarray]) -> None:
    body = [{"object_id": object_id, "frame_index": i, "rle": encode(m)} for i, m in masks.items()]
    r = tool.client.put(f"{tool.base}/annotations", json=body)
    assert r.status_code == 200, r.text


def test_a_part_click_that_would_spill_stays_inside_the_parent(tool: Tool) -> None:
    draw(tool, tool.parent, {0: left_half(0)})
    # The same click on a whole object shows what the engine gives unconstrained: the whole disc.
    free_id = tool.client.post(f"{tool.base}/objects", json={"label_id": tool.label}).json()["id"]
    free = prompt(tool, free_id, {"kind": "point", "x": 40, "y": 60})
    assert (free & ~left_half(0)).sum() > 300, "the click should segment past the parent's half"
    shaft = tool.part("shaft")
    part = prompt(tool, shaft, {"kind": "point", "x": 40, "y": 60})
    assert not (part & ~left_half(0)).any()
    assert np.array_equal(part, free & left_half(0)) and part.sum() > 300
    # The stored mask is the one answered, and its area and box are the clipped mask's.
    stored = next(
        a for a in tool.client.get(f"{tool.base}/annotations", params={"frame": 0}).json() if a["object_id"] == shaft
    )
    assert stored["area"] == int(part.sum())
    ys, xs = np.nonzero(part)
    assert stored["bbox"] == [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def test_parent_and_part_tracked_together_keep_the_part_inside_on_every_frame(tool: Tool) -> None:
    prompt(tool, tool.parent, {"kind": "point", "x": 30, "y": 60})
    shaft = tool.part("shaft")
    box = {"kind": "box", "x0": 30, "y0": 35, "x1": 90, "y1": 85}  # the disc's right half and beyond
    prompt(tool, shaft, box)
    job = tool.client.post(f"{tool.base}/propagate", json={"start_frame": 0, "direction": "forward"})
    assert job.status_code == 202, job.text
    assert wait_job(tool.client, job.json()["id"])["status"] == "completed"
    parents, parts = tool.masks(tool.parent), tool.masks(shaft)
    assert sorted(parts) == list(range(N))
    for i in range(1, N):
        # Written in the same transaction as the parent's mask of that frame, and cut to it.
        assert not (parts[i] & ~parents[i]).any(), f"frame {i}: the part leaves its parent"
    assert all(parts[i].sum() > 0 for i in range(N))


def test_a_part_tracked_alone_is_kept_inside_the_parents_stored_masks(tool: Tool) -> None:
    # The parent's masks drawn by hand on every frame (the disc's left half); the part (and a whole
    # object with the same click, for comparison) tracked: the disc, cut to the left half.
    draw(tool, tool.parent, {i: left_half(i) for i in range(N)})
    wrist = tool.part("wrist")
    free_id = tool.client.post(f"{tool.base}/objects", json={"label_id": tool.label}).json()["id"]
    for object_id in (wrist, free_id):
        prompt(tool, object_id, {"kind": "point", "x": 40, "y": 60})
    job = tool.client.post(
        f"{tool.base}/propagate", json={"start_frame": 0, "direction": "forward", "object_ids": [wrist, free_id]}
    )
    assert wait_job(tool.client, job.json()["id"])["status"] == "completed"
    parts, free = tool.masks(wrist), tool.masks(free_id)
    for i in range(1, N):
        assert (free[i] & ~left_half(i)).sum() > 200, f"frame {i}: tracked unconstrained, the disc's right half"
        assert not (parts[i] & ~left_half(i)).any() and parts[i].sum() > 200, f"frame {i}"


def test_a_hand_drawn_part_mask_is_clipped_and_a_part_without_parent_mask_keeps_its_own(tool: Tool) -> None:
    gripper = tool.part("gripper")
    square = np.zeros_like(disc(0))
    square[40:80, 20:100] = True
    # No parent mask on frame 3 yet: the part's own mask is stored as drawn.
    lone = tool.client.put(
        f"{tool.base}/annotations", json=[{"object_id": gripper, "frame_index": 3, "rle": encode(square)}]
    )
    assert lone.status_code == 200 and lone.json()[0]["area"] == int(square.sum())
    # Parent and part in one request: the part is cut to the parent written just before it.
    both = tool.client.put(f"{tool.base}/annotations", json=[
        {"object_id": tool.parent, "frame_index": 0, "rle": encode(disc(0))},
        {"object_id": gripper, "frame_index": 0, "rle": encode(square)},
    ])  # fmt: skip
    assert both.status_code == 200, both.text
    assert both.json()[1]["area"] == int((square & disc(0)).sum()) > 0


def test_undoing_and_redoing_the_tracking_gives_the_parts_back_as_they_were(tool: Tool) -> None:
    draw(tool, tool.parent, {i: left_half(i) for i in range(N)})
    wrist = tool.part("wrist")
    prompt(tool, wrist, {"kind": "point", "x": 40, "y": 60})
    # Tracked once (masks A), the parent redrawn as the whole disc, tracked again (masks B).
    first = tool.client.post(
        f"{tool.base}/propagate", json={"start_frame": 0, "direction": "forward", "object_ids": [wrist]}
    ).json()
    assert wait_job(tool.client, first["id"])["status"] == "completed"
    tracked_once = tool.masks(wrist)
    draw(tool, tool.parent, {i: disc(i) for i in range(1, N)})
    second = tool.client.post(
        f"{tool.base}/propagate", json={"start_frame": 0, "direction": "forward", "object_ids": [wrist]}
    ).json()
    assert wait_job(tool.client, second["id"])["status"] == "completed"
    tracked_twice = tool.masks(wrist)
    assert any(not np.array_equal(tracked_once[i], tracked_twice[i]) for i in range(1, N))
    assert tool.client.post(f"/api/v1/jobs/{second['id']}/undo").status_code == 200
    undone = tool.masks(wrist)
    assert all(np.array_equal(undone[i], tracked_once[i]) for i in range(N))
    assert tool.client.post(f"/api/v1/jobs/{second['id']}/redo").status_code == 200
    redone = tool.masks(wrist)
    assert all(np.array_equal(redone[i], tracked_twice[i]) for i in range(N))
