"""A click on a tracked mask fixes the error it lands on and leaves the rest of the mask as it was."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from video_seg_backend.engine.base import ListFrames, PointPrompt
from video_seg_backend.engine.opencv import OpenCVConfig, OpenCVEngine
from video_seg_backend.engine.opencv.clicks import segment_prompts
from video_seg_backend.engine.opencv.corrections import keep_local_change


def dog_on_grass() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A brown body with a brown leg below it on textured green grass; the body's and leg's masks."""
    height, width = 240, 320
    rng = np.random.default_rng(3)
    texture = cv2.resize(rng.integers(0, 256, (height // 6, width // 6, 3), dtype=np.uint8), (width, height))
    rgb = (0.35 * texture + np.array([60, 120, 50])).clip(0, 255).astype(np.uint8)
    body = np.zeros((height, width), np.uint8)
    cv2.ellipse(body, (150, 110), (70, 35), 0, 0, 360, 1, -1)
    leg = np.zeros((height, width), np.uint8)
    cv2.rectangle(leg, (180, 130), (196, 200), 1, -1)
    rgb[(body > 0) | (leg > 0)] = (150, 90, 40)
    return rgb, body > 0, (leg > 0) & (body == 0)


def tracked_mask(body: np.ndarray) -> np.ndarray:
    """What drift leaves: the body with a ragged edge (a bite out of its back, a lump of grass on
    its front) and the leg missed."""
    mask = body.copy()
    mask[75:88, 110:140] = False
    mask[100:125, 214:232] = True
    return mask


@pytest.mark.parametrize("positive", [True, False])
def test_a_correction_click_changes_only_the_part_it_lands_on(positive: bool) -> None:
    rgb, body, leg = dog_on_grass()
    base = tracked_mask(body)
    # The missed leg (positive click), or the lump of grass (negative click).
    click = PointPrompt(188, 175, True) if positive else PointPrompt(226, 112, False)
    mask = segment_prompts(rgb, [click], OpenCVConfig(), base=base)[-1]
    fixed = leg if positive else (base & ~body)
    # The leg is added, or the grass taken out.
    assert (mask[fixed] == positive).mean() > 0.9
    # Everything else is as the person saw it: the ragged back and the rest of the body untouched.
    elsewhere = ~fixed
    assert np.array_equal(mask[elsewhere], base[elsewhere])


def test_grabcut_alone_would_move_the_rest_of_the_mask() -> None:
    """The rule is what keeps the rest: without it the same click re-fits the whole mask."""
    rgb, body, leg = dog_on_grass()
    base = tracked_mask(body)
    config = OpenCVConfig(local_corrections=False)
    mask = segment_prompts(rgb, [PointPrompt(188, 175, True)], config, base=base)[-1]
    assert not np.array_equal(mask[~leg], base[~leg])


def test_a_first_frame_s_clicks_are_not_held_to_the_rule() -> None:
    """Without a base mask (clicks on a new frame) a click may still re-fit the whole mask."""
    rgb, body, leg = dog_on_grass()
    config = OpenCVConfig()
    prompts = [PointPrompt(150, 110), PointPrompt(188, 175)]
    assert np.array_equal(segment_prompts(rgb, prompts, config)[-1],
                          segment_prompts(rgb, prompts, OpenCVConfig(local_corrections=False))[-1])  # fmt: skip


def test_through_the_engine_a_correction_on_a_tracked_frame_keeps_the_tracked_mask_elsewhere() -> None:
    rgb, body, leg = dog_on_grass()
    engine = OpenCVEngine()
    session = engine.session("dog", ListFrames([rgb, rgb]), lambda: [])
    base = tracked_mask(body)
    mask = engine.segment(session, 1, 7, [PointPrompt(188, 175, True)], base_mask=base).mask
    assert mask[leg].mean() > 0.9
    assert np.array_equal(mask[~leg], base[~leg])


def test_a_negative_click_on_a_strip_along_the_flank_does_not_take_the_flank() -> None:
    """GrabCut's answer to a negative click on a thin strip of background along the object's side
    (a pole beside a dog) can take the whole side with it, connected to the strip: only what lies
    within a few times the click's depth of it is taken."""
    previous = np.zeros((200, 300), bool)
    previous[60:140, 80:200] = True  # the flank, rightly in the mask
    previous[60:140, 200:208] = True  # a strip of pole along it, wrongly in the mask
    proposed = previous.copy()
    proposed[50:150, 140:210] = False  # GrabCut's answer: the strip and the flank's right half
    click = PointPrompt(204, 100, False)
    flank = np.zeros_like(previous)
    flank[60:140, 80:200] = True
    strip = previous & ~flank

    kept = keep_local_change(previous, proposed, click, thick=2.0, reach=6.0)
    assert not kept[90:111, 200:208].any()  # the strip is gone around the click
    assert kept[flank].mean() > 0.85  # the flank stays, but for a bite around the click
    assert kept[strip].mean() < 0.75
    # Unbounded, the same click takes the flank's right half: what a person would have to undo.
    assert keep_local_change(previous, proposed, click)[flank].mean() < 0.55


def test_a_long_missed_stick_is_still_added_whole() -> None:
    """A change no thicker than the click's error (a hockey stick, a leg) is the error itself, and
    is kept to its end however far that is from the click."""
    previous = np.zeros((200, 300), bool)
    previous[60:140, 80:200] = True  # the player
    stick = np.zeros_like(previous)
    stick[97:103, 200:290] = True  # 6 px wide, 90 px long, missed by the tracked mask
    proposed = previous | stick
    kept = keep_local_change(previous, proposed, PointPrompt(206, 100, True), thick=2.0, reach=6.0)
    assert np.array_equal(kept, proposed)
