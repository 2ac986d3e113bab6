"""A part region tracked with its object keeps overlapping it (engine/opencv/apart.py).

The OpenCV engine keeps tracked objects apart, one object a pixel, except where two overlap by
design on the frame tracking starts from: a part inside its whole. Through the real API: the disc
and its left half as a part, both given on frame 0, tracked together.
"""

from __future__ import annotations

import numpy as np

from tests.conftest import wait_job
from tests.parts.conftest import N, Tool, disc, encode
from video_seg_backend.evaluation.metrics import jaccard


def test_a_part_tracked_with_its_object_stays_inside_it_and_the_object_keeps_it(tool: Tool) -> None:
    part = tool.part("shaft")
    whole = disc(0)
    left = whole.copy()
    left[:, int(np.nonzero(whole)[1].mean()) :] = False
    body = [
        {"object_id": tool.parent, "frame_index": 0, "rle": encode(whole)},
        {"object_id": part, "frame_index": 0, "rle": encode(left)},
    ]
    assert tool.client.put(f"{tool.base}/annotations", json=body).status_code == 200
    job = tool.client.post(f"{tool.base}/propagate", json={"start_frame": 0, "direction": "forward"})
    assert job.status_code == 202, job.text
    assert wait_job(tool.client, job.json()["id"])["status"] == "completed"

    parents, parts = tool.masks(tool.parent), tool.masks(part)
    assert sorted(parents) == sorted(parts) == list(range(N))
    for i in range(N):
        # The whole keeps the pixels its part holds, and the part keeps a good share of them.
        assert jaccard(parents[i], disc(i)) > 0.8, i
        assert parts[i].sum() > 0.3 * disc(i).sum(), i
        assert (parts[i] & parents[i]).sum() > 0.9 * parts[i].sum(), i
