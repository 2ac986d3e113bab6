"""Tracking through what defeats per-pixel optical flow: fast motion, blur, occluders, growth.

Per-pixel flow fails its forward-backward check on much of a fast or blurred object (a third to two
thirds of the dog in DAVIS dog-agility); the engine then moves those parts with the object's own
motion instead of dropping them, so the mask neither shrinks away nor leaves a trail behind.
"""

from __future__ import annotations

import cv2
import numpy as np

from video_seg_backend.engine.base import ListFrames
from video_seg_backend.engine.opencv_engine import OpenCVEngine
from video_seg_backend.evaluation.metrics import jaccard


def _texture(rng: np.random.Generator, size: tuple[int, int], cell: int) -> np.ndarray:
    width, height = size
    small = rng.integers(0, 256, (max(2, height // cell), max(2, width // cell), 3), dtype=np.uint8)
    return cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)


def object_video(
    num_frames: int,
    step: float,
    grow: float = 1.0,
    bar_x: int | None = None,
    blur: int = 0,
    size: tuple[int, int] = (320, 200),
):
    """A textured orange ellipse moving right by ``step`` px a frame over a textured green-grey
    background, its radii scaled by ``grow`` a frame, optionally motion-blurred along its path and
    passing behind a thin white vertical bar at ``bar_x``; the frames and the true masks."""
    width, height = size
    rng = np.random.default_rng(1)
    background = (0.4 * _texture(rng, size, 6) + np.array([50, 100, 70])).clip(0, 255).astype(np.uint8)
    skin = (0.35 * _texture(rng, (400, 400), 5) + np.array([180, 90, 20])).clip(0, 255).astype(np.uint8)
    frames, masks = [], []
    for t in range(num_frames):
        cx, cy = 60 + step * t, height // 2
        rx, ry = 30 * grow**t, 20 * grow**t
        mask = np.zeros((height, width), np.uint8)
        cv2.ellipse(mask, (round(cx), cy), (round(rx), round(ry)), 0, 0, 360, 1, -1)
        # The object's texture moves (and scales) with it.
        affine = np.float32([[grow**t, 0, cx - 200 * grow**t], [0, grow**t, cy - 200 * grow**t]])
        moved_skin = cv2.warpAffine(skin, affine, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frame = np.where(mask[..., None] > 0, moved_skin, background)
        if blur:
            kernel = np.zeros((1, blur), np.float32)
            kernel[:] = 1.0 / blur
            frame = cv2.filter2D(frame, -1, kernel)
        truth = mask > 0
        if bar_x is not None:
            frame[:, bar_x : bar_x + 8] = (235, 235, 235)
            truth[:, bar_x : bar_x + 8] = False
        frames.append(np.ascontiguousarray(frame))
        masks.append(truth)
    return frames, masks


def track_from_truth(frames: list[np.ndarray], masks: list[np.ndarray]) -> list[float]:
    engine = OpenCVEngine()
    session = engine.session("video", ListFrames(frames), lambda: [])
    results = engine.propagate(session, [1], 0, "forward", start_masks={1: masks[0]})
    return [jaccard(objects[0].mask, masks[index]) for index, objects in results]


def test_an_object_passing_behind_a_thin_bar_is_recovered():
    # Flow smoothed over the static bar passes its round-trip check and carries the part coming out
    # from behind it as background; the band keeps that piece for being surely the object's colours
    # a bar's width from the rest (band.clean_track). Off, the mask lost that part (IoU 0.34).
    frames, masks = object_video(num_frames=20, step=9.0, bar_x=150)
    ious = track_from_truth(frames, masks)
    # The object is cut in two by the bar around frames 7-13; it is whole again afterwards.
    assert min(ious) > 0.6, ious
    assert np.mean(ious[-4:]) > 0.8, ious


def test_a_fast_blurred_object_is_not_lost():
    frames, masks = object_video(num_frames=14, step=16.0, blur=9)
    ious = track_from_truth(frames, masks)
    assert np.mean(ious[1:]) > 0.75, ious
    assert ious[-1] > 0.7, ious


def test_an_object_growing_in_the_frame_is_followed():
    frames, masks = object_video(num_frames=14, step=5.0, grow=1.06)
    ious = track_from_truth(frames, masks)
    assert ious[-1] > 0.75, ious


def test_the_mask_leaves_no_trail_on_uncovered_background():
    frames, masks = object_video(num_frames=12, step=14.0)
    engine = OpenCVEngine()
    session = engine.session("video", ListFrames(frames), lambda: [])
    results = list(engine.propagate(session, [1], 0, "forward", start_masks={1: masks[0]}))
    last_index, objects = results[-1]
    mask, truth = objects[0].mask, masks[last_index]
    # Nothing of the mask is left far behind the object (where it started).
    behind = mask[:, : int(np.flatnonzero(truth.any(axis=0))[0]) - 10]
    assert not behind.any()
    assert jaccard(mask, truth) > 0.75


def test_a_piece_a_pole_away_stays_only_when_it_is_the_objects_colour():
    from video_seg_backend.engine.opencv.band import clean_track

    # The largest piece, and two pieces 12 px to its right and left (beyond a band of 6 px,
    # within a reach of 14): one of the object's colours (posterior 0.95), one of the background's
    # (0.4, like smoke); and one of the object's colours 30 px off.
    fg = np.zeros((60, 160), bool)
    fg[20:40, 60:100] = True
    fg[20:40, 112:120] = True  # object-coloured, 12 px right
    fg[20:40, 40:48] = True  # background-coloured, 12 px left
    fg[20:40, 130:140] = True  # object-coloured, 30 px right
    colour = np.full(fg.shape, 0.4)
    colour[:, 100:] = 0.95
    kept = clean_track(fg, gap=6, colour_prob=colour, reach=14, threshold=0.85)
    assert kept[20:40, 60:100].all()
    assert kept[20:40, 112:120].all()
    assert not kept[:, :48].any()
    assert not kept[:, 130:].any()
    # Without the colour posterior only the largest piece is left.
    assert clean_track(fg, gap=6).sum() == 20 * 40
