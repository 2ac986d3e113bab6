"""A first click on a video frame takes the part that moves on its own as the object's region
(engine/opencv/motion.py: moving_part): one click on a roller-hockey player finds the player, not
only his shirt; the same click on a photo, or on a video where nothing moves, finds what colour
alone finds, and the answer is the same on any thread count. A click on a small part of a moving
whole (a tennis racket in the player's hand) still finds the part."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.engine_opencv import davis
from tests.engine_opencv.davis import HOCKEY
from video_seg_backend.engine.base import ListFrames, PointPrompt
from video_seg_backend.engine.opencv import OpenCVConfig, OpenCVEngine
from video_seg_backend.evaluation.clicker import next_click
from video_seg_backend.evaluation.metrics import jaccard

# DAVIS 2017 layout, two frames: object 1 the player, object 2 his racket; 255 is void.
TENNIS = HOCKEY.parent / "tennis-2f"

pytestmark = pytest.mark.skipif(
    not HOCKEY.is_dir() or not TENNIS.is_dir(), reason=f"DAVIS sequences not found at {HOCKEY.parent}"
)


def _frames() -> list[np.ndarray]:
    return davis.frames(HOCKEY, 3)


def _truth() -> np.ndarray:
    return davis.truth(HOCKEY)


def _first_click_mask(frames: list[np.ndarray], config: OpenCVConfig | None = None) -> np.ndarray:
    truth = _truth()
    click = next_click(np.zeros_like(truth), truth)  # the simulated annotator: the player's chest
    assert click is not None and click[2]
    engine = OpenCVEngine(config or OpenCVConfig())
    session = engine.session("hockey", ListFrames(frames), lambda: [])
    return engine.segment(session, 0, 1, [PointPrompt(click[0], click[1])]).mask


def test_one_click_on_a_video_frame_finds_the_moving_player() -> None:
    frames, truth = _frames(), _truth()
    on_video = _first_click_mask(frames)
    on_photo = _first_click_mask(frames[:1])
    # Colour alone takes the dark shirt and shorts (IoU 0.39); the moving part gives the whole
    # player, arms and legs and skates (0.82).
    assert jaccard(on_photo, truth) < 0.5
    assert jaccard(on_video, truth) > 0.75
    # And not the fence panels of the shirt's colour behind him: what it adds is mostly player.
    added = on_video & ~on_photo
    assert (added & truth).sum() > 0.8 * added.sum()
    # Switched off, a video frame is a photo.
    off = _first_click_mask(frames, OpenCVConfig(click_motion_frames=0))
    assert np.array_equal(off, on_photo)


def test_a_still_video_gives_the_photo_mask() -> None:
    frame = _frames()[0]
    assert np.array_equal(_first_click_mask([frame, frame.copy(), frame.copy()]), _first_click_mask([frame]))


def test_the_same_first_click_mask_on_one_thread() -> None:
    frames = _frames()
    default = _first_click_mask(frames)
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        single = _first_click_mask(frames)
    finally:
        cv2.setNumThreads(threads)
    assert np.array_equal(default, single)


def test_a_click_on_the_racket_finds_the_racket_not_the_moving_player() -> None:
    video = davis.frames(TENNIS, 2)
    labels = np.array(Image.open(TENNIS / "Annotations/00000.png"))
    player, racket = labels == 1, labels == 2
    click = next_click(np.zeros_like(racket), racket, labels == 255)
    assert click is not None

    def mask(video: list[np.ndarray]) -> np.ndarray:
        engine = OpenCVEngine()
        session = engine.session("tennis", ListFrames(video), lambda: [])
        return engine.segment(session, 0, 2, [PointPrompt(click[0], click[1])]).mask

    on_video = mask(video)
    # The moving part under the click is the whole player; its mask would be 22 times the racket's
    # colour mask (IoU with the racket 0.01), so the click keeps the colour mask, as on a photo.
    assert np.array_equal(on_video, mask(video[:1]))
    assert (on_video & player).sum() < 0.1 * player.sum()
