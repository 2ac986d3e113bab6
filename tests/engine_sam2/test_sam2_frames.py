"""Frames decoded lazily, and ahead of tracking in a background thread, each once."""

from __future__ import annotations

import threading

import pytest
import torch

from tests.engine_sam2.conftest import SyntheticVideo
from video_seg_backend.engine.base import PointPrompt
from video_seg_backend.engine.frames import LazyVideoFrames
from video_seg_backend.engine.sam2_engine import Sam2Engine, Sam2EngineConfig

pytestmark = pytest.mark.sam2


class RecordingVideo(SyntheticVideo):
    """Remembers which thread read each frame; frame ``broken`` cannot be read."""

    def __init__(self, broken: int | None = None) -> None:
        super().__init__()
        self.readers: dict[int, list[str]] = {}
        self.broken = broken

    def read_rgb(self, index: int):
        self.readers.setdefault(index, []).append(threading.current_thread().name)
        if index == self.broken:
            raise ValueError(f"frame {index} is missing on disk")
        return super().read_rgb(index)


def test_prefetched_frames_are_decoded_once_in_the_background_and_read_the_same():
    video = RecordingVideo()
    frames = LazyVideoFrames(video, 64, torch.device("cpu"), capacity=4)
    plain = LazyVideoFrames(SyntheticVideo(), 64, torch.device("cpu"), capacity=4)
    frames.prefetch([1, 2, 3, 4, -1, 99])  # out of range: ignored; beyond capacity - 1: not taken
    for i in (1, 2, 3):
        assert torch.equal(frames[i], plain[i])
    assert frames.decoded == 3 and sorted(video.readers) == [1, 2, 3]
    assert all(names[0].startswith("frame-prefetch") for names in video.readers.values())
    frames.prefetch([2, 3])  # cached: nothing to do
    assert frames[4].shape == (3, 64, 64) and frames.decoded == 4
    assert video.readers[4] == [threading.current_thread().name]  # not prefetched: read here


def test_a_frame_whose_prefetch_failed_raises_to_its_reader():
    video = RecordingVideo(broken=2)
    frames = LazyVideoFrames(video, 64, torch.device("cpu"), capacity=4)
    frames.prefetch([2])
    with pytest.raises(ValueError, match="frame 2 is missing on disk"):
        frames[2]


@pytest.mark.parametrize("ahead", [4, 0])
def test_tracking_decodes_the_frames_ahead_in_the_background(tiny_engine, ahead):
    engine = Sam2Engine("prefetch", tiny_engine.predictor, Sam2EngineConfig(prefetch_frames=ahead))
    video = RecordingVideo()
    session = engine.session("prefetch", video, lambda: [])
    engine.segment(session, 0, 1, [PointPrompt(40, 60)])
    tracked = [frame for frame, _ in engine.propagate(session, [1], 0, "forward", max_frames=6)]
    assert tracked == list(range(7))
    # each frame read once: the tracking waited for a frame on its way instead of reading it again
    assert {i: len(names) for i, names in video.readers.items()} == {i: 1 for i in range(7)}
    here = threading.current_thread().name
    expected = "frame-prefetch" if ahead else here
    assert all(video.readers[i][0].startswith(expected) for i in range(1, 7)), video.readers
    engine.forget("prefetch")
