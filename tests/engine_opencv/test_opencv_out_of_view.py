"""An object that leaves the frame leaves its mask empty, not on the scenery at the edge.

On 08_driving.mp4 a white car, boxed on frame 82 and tracked back, leaves the frame at the left;
colour and flow then handed its mask to the white barrier at the edge, tracked for the 30 frames
before it came into view. The object's motion carries points of its mask beyond the frame's edge
(engine/opencv/out_of_view.py): when they have left it, the mask is empty and says why.
"""

from __future__ import annotations

import itertools

import av
import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from video_seg_backend.engine.base import BoxPrompt, ListFrames
from video_seg_backend.engine.opencv import OpenCVConfig
from video_seg_backend.engine.opencv_engine import OpenCVEngine
from video_seg_backend.evaluation.metrics import jaccard

WIDTH, HEIGHT = 320, 200


def walking_out(stop_at: int | None = None, frames: int = 32):
    """A textured white-over-blue block walking left 8 px a frame from x=120, out of the frame by
    frame 23 (or stopping with its left edge at ``stop_at``, half out of view); frames and masks."""
    rng = np.random.default_rng(5)
    texture = rng.integers(0, 50, (50, 60, 3))
    block = np.zeros((50, 60, 3), np.int64)
    block[:25] = (200, 200, 200)
    block[25:] = (40, 60, 190)
    block = np.clip(block + texture, 0, 255).astype(np.uint8)
    images, masks = [], []
    for t in range(frames):
        frame = (rng.integers(0, 40, (HEIGHT, WIDTH, 3)) + np.array([90, 110, 90])).astype(np.uint8)
        frame[80:90] = 235  # a white barrier across the frame
        x = 120 - 8 * t if stop_at is None else max(120 - 8 * t, stop_at)
        x0, x1 = max(0, x), max(0, x + 60)
        mask = np.zeros((HEIGHT, WIDTH), bool)
        mask[55:105, x0:x1] = True
        if x1 > x0:
            frame[55:105, x0:x1] = block[:, x0 - x : x1 - x]
        images.append(frame)
        masks.append(mask)
    return images, masks


def tracked(frames, first: np.ndarray, config: OpenCVConfig | None = None):
    engine = OpenCVEngine(config)
    session = engine.session("video", ListFrames(frames), lambda: [])
    return [objects[0] for _, objects in engine.propagate(session, [1], 0, "forward", start_masks={1: first})]


def test_the_mask_of_an_object_that_walked_out_of_the_frame_is_empty_and_says_so():
    frames, masks = walking_out()
    out = tracked(frames, masks[0])
    gone = next(t for t, m in enumerate(masks) if not m.any())  # 23
    ious = [jaccard(o.mask, m) for o, m in zip(out, masks, strict=True)]
    # Followed while in view (down to a third of it), empty from the last sliver on.
    assert all(iou > 0.9 for iou in ious[:21]), ious
    assert all(not out[t].mask.any() for t in range(gone - 1, len(frames)))
    left = [t for t, o in enumerate(out) if o.left_view]
    assert left == list(range(left[0], len(frames))) and gone - 2 <= left[0] <= gone, left
    assert all(out[t].confidence >= 0.9 for t in left)  # sure it left
    assert not any(o.refound for o in out)


def test_an_object_that_stops_half_out_of_view_keeps_its_mask():
    frames, masks = walking_out(stop_at=-30)
    out = tracked(frames, masks[0])
    ious = [jaccard(o.mask, m) for o, m in zip(out, masks, strict=True)]
    assert all(iou > 0.9 for iou in ious), ious
    assert not any(o.left_view for o in out)


DRIVING = SHARED_DATA / "videos" / "08_driving.mp4"
CAR = BoxPrompt(40, 440, 325, 598)  # the white car on frame 82 (1280x720), boxed by hand


@pytest.mark.skipif(not DRIVING.is_file(), reason="needs ../shared/data/videos/08_driving.mp4")
def test_an_overtaking_car_tracked_back_leaves_the_view_not_a_mask_on_the_barrier():
    with av.open(str(DRIVING)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in itertools.islice(container.decode(video=0), 83)]

    def back_from_the_box(config: OpenCVConfig | None = None) -> dict:
        engine = OpenCVEngine(config)
        session = engine.session("driving", ListFrames(frames), lambda: [])
        engine.segment(session, 82, 1, [CAR])
        return {t: o[0] for t, o in engine.propagate(session, [1], 82, "backward")}

    out = back_from_the_box()
    # The car is followed while it is in view (it enters at the left edge around frame 41) ...
    assert all(out[t].mask[:, 200:].sum() < out[t].mask[:, :200].sum() * 4 for t in range(60, 82))
    assert all(out[t].mask.sum() > 20000 and out[t].confidence > 0.4 for t in range(60, 82))
    # ... and from before it came into view its mask is empty, the engine saying it left the view.
    assert all(not out[t].mask.any() and out[t].left_view for t in range(0, 25))
    assert not any(out[t].left_view for t in range(40, 82))
    # Without following it out, the mask lies on the barrier there (the failure this fixes).
    off = back_from_the_box(OpenCVConfig(out_of_view_share=0))
    assert all(off[t].mask.sum() > 3000 for t in range(0, 25))
