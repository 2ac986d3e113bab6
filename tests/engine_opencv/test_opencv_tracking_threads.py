"""A worker kept to one thread (VSS_WORKER_THREADS=1) tracks the very masks the studio tracks on
every core: OpenCV's parallel loops split the work, not the result."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from video_seg_backend.engine.base import ListFrames
from video_seg_backend.engine.opencv import OpenCVEngine

SEQUENCE = Path(__file__).resolve().parents[3] / "shared/data/vos/dog-agility"
FRAMES = 12

pytestmark = pytest.mark.skipif(not SEQUENCE.is_dir(), reason=f"DAVIS sequence not found at {SEQUENCE}")


@pytest.fixture
def restore_threads() -> Iterator[None]:
    threads = cv2.getNumThreads()
    yield
    cv2.setNumThreads(threads)


def tracked(threads: int) -> list[np.ndarray]:
    cv2.setNumThreads(threads)
    images = sorted((SEQUENCE / "JPEGImages").glob("*.jpg"))[:FRAMES]
    frames = [cv2.imread(str(p))[:, :, ::-1].copy() for p in images]
    first = cv2.imread(str(SEQUENCE / "Annotations" / (images[0].stem + ".png")), cv2.IMREAD_GRAYSCALE) > 0
    engine = OpenCVEngine()
    session = engine.session("dog", ListFrames(frames), lambda: [])
    engine.set_mask(session, 0, 1, first)
    return [masks[0].mask for _, masks in engine.propagate(session, [1], 0, "forward")]


def test_one_thread_and_every_core_track_the_same_masks(restore_threads):
    one, every = tracked(1), tracked(max(2, cv2.getNumThreads()))
    assert len(one) == FRAMES and one[-1].any()
    assert all(np.array_equal(a, b) for a, b in zip(one, every, strict=True))
