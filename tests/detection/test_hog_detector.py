"""The weight-free HOG person detector on a real DAVIS frame."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from tests.conftest import VOS, need_shared
from video_seg_backend.detection import Detection, load_detector
from video_seg_backend.detection.hog import HogPersonDetector


def _frame(sequence: str, index: int) -> tuple[np.ndarray, np.ndarray]:
    folder = need_shared(VOS / sequence)
    rgb = np.asarray(Image.open(folder / "JPEGImages" / f"{index:05d}.jpg").convert("RGB"))
    mask = np.asarray(Image.open(folder / "Annotations" / f"{index:05d}.png")) > 0
    return rgb, mask


def test_finds_the_hockey_player_in_source_pixels() -> None:
    rgb, mask = _frame("hockey", 10)
    detections = HogPersonDetector().detect(rgb)
    assert detections, "no person found in hockey frame 10"
    best = detections[0]
    assert best.label == "person" and 0.0 < best.score < 1.0
    x0, y0, x1, y1 = (round(v) for v in best.box)
    # The box is in the 854x480 source frame (the detector works at 640 px) and holds most of the player.
    assert 0 <= x0 < x1 <= rgb.shape[1] and 0 <= y0 < y1 <= rgb.shape[0]
    inside = mask[y0:y1, x0:x1].sum() / mask.sum()
    assert inside > 0.5, f"box {best.box} holds only {inside:.0%} of the player's mask"


def test_empty_scene_gives_no_person() -> None:
    rgb = np.full((480, 854, 3), 127, dtype=np.uint8)
    assert HogPersonDetector().detect(rgb) == []


def test_same_frame_same_detections_across_instances() -> None:
    rgb, _ = _frame("kite-walk", 10)
    first = load_detector("hog-person").detect(rgb)
    assert first == HogPersonDetector().detect(rgb) == HogPersonDetector().detect(rgb.copy())


def test_rejects_non_rgb_input() -> None:
    with pytest.raises(ValueError, match="RGB"):
        HogPersonDetector().detect(np.zeros((480, 640), dtype=np.uint8))


def test_detection_rejects_inverted_box() -> None:
    with pytest.raises(ValueError, match="x1 > x0"):
        Detection((10.0, 10.0, 5.0, 20.0), 0.5, "person")
