"""Objects that are apart stay apart (engine/opencv/apart.py).

Each object is tracked on its own; two of the same colours that touch were told apart by nothing,
and each mask took in the other (cups of a shell game, players of one team). A pixel two masks hold
now goes to the object whose flow-carried mask holds it and whose motion it follows, and a lost
object is not searched for where another object is. A part inside its object (overlapping it where
tracking starts) may keep overlapping it.
"""

from __future__ import annotations

import numpy as np

from video_seg_backend.engine.base import ListFrames
from video_seg_backend.engine.opencv import OpenCVConfig
from video_seg_backend.engine.opencv.apart import overlap_by_design, split
from video_seg_backend.engine.opencv_engine import OpenCVEngine
from video_seg_backend.evaluation.look_alikes import HEIGHT, WIDTH, background, block, crossing, touching
from video_seg_backend.evaluation.metrics import jaccard


def track_both(frames, first: dict[int, np.ndarray], config: OpenCVConfig | None = None):
    engine = OpenCVEngine(config)
    session = engine.session("video", ListFrames(frames), lambda: [])
    out = []
    for _, masks in engine.propagate(session, sorted(first), 0, "forward", start_masks=first):
        out.append({m.object_id: m for m in masks})
    return out


def ious(out, truths: list[dict[int, np.ndarray]], object_id: int) -> list[float]:
    return [jaccard(frame[object_id].mask, truth[object_id]) for frame, truth in zip(out, truths, strict=True)]


def test_two_objects_of_the_same_colours_that_touch_keep_their_own_masks():
    frames, truths = touching()
    out = track_both(frames, truths[0])
    assert min(ious(out, truths, 1)) > 0.95 and min(ious(out, truths, 2)) > 0.95
    assert all(not np.logical_and(f[1].mask, f[2].mask).any() for f in out)
    # Tracked each on its own, both masks took in both blocks while they touched.
    alone = track_both(frames, truths[0], OpenCVConfig(keep_apart=False))
    assert min(ious(alone, truths, 1)) < 0.6 and min(ious(alone, truths, 2)) < 0.6


def test_an_object_passing_in_front_of_a_look_alike_goes_on_with_its_own_mask():
    frames, truths = crossing()
    out = track_both(frames, truths[0])
    # Past the still block, each mask is on its own block again (during the crossing they share
    # a boundary the flow places roughly).
    assert ious(out, truths, 1)[-1] > 0.9 and ious(out, truths, 2)[-1] > 0.9
    assert np.mean(ious(out, truths, 1)) > 0.85 and np.mean(ious(out, truths, 2)) > 0.85
    # Tracked each on its own, the moving block's mask stuck on the still one.
    alone = track_both(frames, truths[0], OpenCVConfig(keep_apart=False))
    assert ious(alone, truths, 1)[-1] < 0.1


def test_an_object_that_vanishes_is_not_found_again_on_its_look_alike():
    # Block A slides right and is gone from frame 10; its look-alike B stands still further right.
    rng = np.random.default_rng(3)
    same = block(rng, 60, 50)
    frames, truths = [], []
    for t in range(20):
        frame = background(rng)
        a, b = np.zeros((HEIGHT, WIDTH), bool), np.zeros((HEIGHT, WIDTH), bool)
        frame[70:130, 220:270] = same
        b[70:130, 220:270] = True
        if t < 10:
            frame[70:130, 40 + 4 * t : 90 + 4 * t] = same
            a[70:130, 40 + 4 * t : 90 + 4 * t] = True
        frames.append(frame)
        truths.append({1: a, 2: b})
    out = track_both(frames, truths[0])
    assert not any(f[1].refound for f in out)  # the search does not take B for A
    assert all(not np.logical_and(f[1].mask, truths[t][2]).any() for t, f in enumerate(out))
    assert all(f[1].confidence < 0.15 for f in out[10:])  # A is lost, and says so
    assert min(ious(out, truths, 2)) > 0.95
    # Searched for without B's mask in the way, A was "found again" on B and tracked there.
    alone = track_both(frames, truths[0], OpenCVConfig(keep_apart=False))
    assert alone[10][1].refound and jaccard(alone[-1][1].mask, truths[-1][2]) > 0.9


def lidded_block(frames: int = 12):
    """A block with a white top (the part: a lid) moving right; frames and the true masks of the
    whole (1) and its lid (3)."""
    rng = np.random.default_rng(4)
    lidded = np.concatenate([block(rng, 30, 50, (190, 190, 190)), block(rng, 30, 50)])
    images, truths = [], []
    for t in range(frames):
        frame = background(rng)
        x = 40 + 6 * t
        frame[70:130, x : x + 50] = lidded
        whole, lid = np.zeros((HEIGHT, WIDTH), bool), np.zeros((HEIGHT, WIDTH), bool)
        whole[70:130, x : x + 50] = True
        lid[70:100, x : x + 50] = True
        images.append(frame)
        truths.append({1: whole, 3: lid})
    return images, truths


def test_a_part_first_given_mid_track_is_kept_in_its_object_when_the_caller_says_it_is_a_part():
    # The lid has no mask where tracking starts; a person draws it on frame 4.
    frames, truths = lidded_block()

    def run(may_overlap):
        engine = OpenCVEngine()
        session = engine.session("video", ListFrames(frames), lambda: [])
        engine.set_mask(session, 4, 3, truths[4][3])
        out = engine.propagate(session, [1, 3], 0, "forward", start_masks={1: truths[0][1]}, may_overlap=may_overlap)
        return [{m.object_id: m for m in masks} for _, masks in out]

    told = run({(3, 1)})
    assert min(ious(told, truths, 1)) > 0.95 and min(ious(told[4:], truths[4:], 3)) > 0.9
    # Not told, the whole gave the lid's pixels up to the lid's key mask, and kept them apart after.
    assert min(ious(run(None)[4:], truths[4:], 1)) < 0.6


def test_a_part_inside_its_object_keeps_overlapping_it():
    frames, truths = lidded_block()
    out = track_both(frames, truths[0])  # both given where tracking starts, the lid inside the whole
    assert min(ious(out, truths, 1)) > 0.95  # the whole keeps its lid's pixels
    assert min(ious(out, truths, 3)) > 0.9


def test_a_key_mask_keeps_its_pixels_and_pairs_allowed_to_overlap_do():
    hards = {1: np.zeros((10, 10), bool), 2: np.zeros((10, 10), bool)}
    hards[1][2:8, 2:8] = True
    hards[2][4:10, 4:10] = True
    claims = {1: np.ones((10, 10), np.float32), 2: np.zeros((10, 10), np.float32)}
    # Object 1 holds the shared pixels more strongly; a key mask of object 2 keeps them anyway.
    assert not split(hards, claims, set(), set())[2][4:8, 4:8].any()
    kept = split(hards, claims, {2}, set())
    assert set(kept) == {1} and not kept[1][4:8, 4:8].any() and kept[1][2:4, 2:8].all()
    assert split(hards, claims, set(), {frozenset((1, 2))}) == {}
    # Overlapping by design is more than a careless pixel or two.
    assert overlap_by_design(hards[1], hards[2])
    around = ~hards[1]
    around[7, 7] = True  # shares one pixel of object 1's 36
    assert not overlap_by_design(hards[1], around)
