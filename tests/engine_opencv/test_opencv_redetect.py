"""A tracked object that leaves the frame (or hides) and comes back is found again.

Before re-detection an empty or collapsed mask was tracked, empty, to the end (DAVIS swing: the
person behind a pole, J&F 0.10). While the mask is far below its usual size the frame is searched
for a region with the key frame's object colours, in their proportions, of about its size.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from video_seg_backend.engine.base import ListFrames
from video_seg_backend.engine.opencv import OpenCVConfig
from video_seg_backend.engine.opencv_engine import OpenCVEngine
from video_seg_backend.evaluation.metrics import jaccard

WIDTH, HEIGHT = 320, 200


def scene(rng: np.random.Generator, patch: bool) -> np.ndarray:
    """Grey-green noise; with ``patch``, a blue square (one of the object's two colours) on it."""
    frame = (rng.integers(0, 40, (HEIGHT, WIDTH, 3)) + np.array([90, 110, 90])).astype(np.uint8)
    if patch:
        frame[120:170, 230:280] = (30, 60, 200)
    return frame


def leave_and_return(returns: bool, patch: bool = False):
    """A red-over-blue square walks left out of the frame by frame 8, is away until frame 14 and
    (when ``returns``) walks back in at the right; the frames and the true masks."""
    rng = np.random.default_rng(3)
    frames, masks = [], []
    for t in range(24):
        frame = scene(rng, patch)
        mask = np.zeros((HEIGHT, WIDTH), bool)
        if t < 8:
            x = 60 - 12 * t
        elif returns and t >= 14:
            x = 300 - 10 * (t - 14)
        else:
            x = None
        if x is not None:
            mask[40:90, max(0, x) : max(0, x + 50)] = True
            top = mask.copy()
            top[65:] = False
            frame[top] = (210, 30, 30)
            frame[mask & ~top] = (30, 60, 200)
        frames.append(frame)
        masks.append(mask)
    return frames, masks


def track(frames, masks, config: OpenCVConfig | None = None) -> list[np.ndarray]:
    engine = OpenCVEngine(config)
    session = engine.session("video", ListFrames(frames), lambda: [])
    return [objects[0].mask for _, objects in engine.propagate(session, [1], 0, "forward", start_masks={1: masks[0]})]


def test_an_object_that_comes_back_into_the_frame_is_found_again():
    frames, masks = leave_and_return(returns=True)
    out = track(frames, masks)
    # Found by the time it is wholly in view again (frame 17), and followed to the end.
    ious = [jaccard(out[t], masks[t]) for t in range(24)]
    assert all(iou > 0.7 for iou in ious[17:]), ious
    # Without the search the mask that left the frame stays empty.
    off = track(frames, masks, OpenCVConfig(redetect_fraction=0))
    assert not any(off[t].any() for t in range(17, 24))


def test_the_frame_it_is_found_again_on_is_marked_as_such():
    """The mask a search found is a guess by colour (it may be something else of the object's
    colours): the engine says which frame it came from, so the job can tell the person."""
    frames, masks = leave_and_return(returns=True)
    engine = OpenCVEngine()
    session = engine.session("video", ListFrames(frames), lambda: [])
    found = [(t, o[0]) for t, o in engine.propagate(session, [1], 0, "forward", start_masks={1: masks[0]})]
    refound = [t for t, mask in found if mask.refound]
    assert len(refound) == 1 and 14 <= refound[0] <= 17, refound
    t, mask = found[refound[0]]
    assert jaccard(mask.mask, masks[t]) > 0.5  # the object, coming back in at the right
    # Tracked on from there (and before it was lost) nothing is a re-find.
    away = leave_and_return(returns=False)
    session = engine.session("away", ListFrames(away[0]), lambda: [])
    assert not any(o[0].refound for _, o in engine.propagate(session, [1], 0, "forward", start_masks={1: away[1][0]}))


def test_nothing_is_found_while_the_object_is_away():
    frames, masks = leave_and_return(returns=False)
    out = track(frames, masks)
    # (The last pixels of the mask that left die out by frame 11.)
    assert not any(out[t].any() for t in range(12, 24))


@pytest.mark.parametrize("returns", [False, True])
def test_a_patch_of_one_of_its_colours_is_not_taken_for_the_object(returns):
    # The blue square has the object's size and half its colours; the object is red and blue.
    frames, masks = leave_and_return(returns=returns, patch=True)
    out = track(frames, masks)
    patch = np.zeros((HEIGHT, WIDTH), bool)
    patch[120:170, 230:280] = True
    assert not any(np.logical_and(out[t], patch).any() for t in range(10, 24))
    if returns:
        assert jaccard(out[23], masks[23]) > 0.7


SWING = SHARED_DATA / "vos" / "swing"


@pytest.mark.skipif(not SWING.is_dir(), reason="needs ../shared/data/vos")
def test_a_mask_that_slid_onto_something_else_is_searched_for_the_object():
    """DAVIS swing from its true first mask 2 px smaller all round: behind the pole the mask slides
    onto the scenery and keeps about its size, so the collapse never triggers a search; its
    colours no longer match the key frame's object's, and that does (J 0.00 on frames 12-48
    before). Since the band keeps a piece of the object's colours a pole's width away
    (``occluded_piece_reach``) the mask no longer slides at all; nor since a mask shrunk under its
    motion's size keeps what the flow carried unless surely background (``shrink_guard``); with
    both off, the colour trigger alone still finds the object again."""
    images = sorted((SWING / "JPEGImages").glob("*.jpg"))
    frames = [cv2.imread(str(p))[:, :, ::-1].copy() for p in images]
    truth = [cv2.imread(str(SWING / "Annotations" / f"{p.stem}.png"), cv2.IMREAD_GRAYSCALE) > 0 for p in images]
    first = cv2.erode(truth[0].astype(np.uint8), np.ones((5, 5), np.uint8)) > 0

    def mean_j(config: OpenCVConfig | None = None) -> float:
        masks = track(frames, [first], config)
        return float(np.mean([jaccard(masks[i], truth[i]) for i in range(14, 48)]))

    assert mean_j() > 0.7
    # the colour trigger alone
    assert mean_j(OpenCVConfig(occluded_piece_reach=0.0, shrink_guard=0.0)) > 0.7
    # the piece past the pole alone
    assert mean_j(OpenCVConfig(redetect_colour_fit=0.0, shrink_guard=0.0)) > 0.7
    # the shrink guard alone
    assert mean_j(OpenCVConfig(redetect_colour_fit=0.0, occluded_piece_reach=0.0)) > 0.7
    # with none of them it stays lost
    assert mean_j(OpenCVConfig(redetect_colour_fit=0.0, occluded_piece_reach=0.0, shrink_guard=0.0)) < 0.1
