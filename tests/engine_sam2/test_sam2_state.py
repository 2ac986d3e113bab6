"""Our hand-built inference state is the one sam2's own ``init_state`` makes, key for key.

The engine builds sam2's ``inference_state`` dict itself (frames load lazily; see sam2_session.py).
sam2's predictor reads that dict by key everywhere, so a sam2 release that adds or renames a key
would break sessions at the first click; this test fails first.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from tests.engine_sam2.conftest import SyntheticVideo
from video_seg_backend.engine.base import PointPrompt

pytestmark = pytest.mark.sam2


class JpegVideo(SyntheticVideo):
    """The synthetic video as sam2 reads it (JPEG frames in a folder), read back from the JPEGs so
    both sides see the same pixels."""

    def __init__(self, folder, num_frames: int = 3) -> None:
        super().__init__(num_frames=num_frames)
        for i in range(num_frames):
            Image.fromarray(super().read_rgb(i)).save(folder / f"{i:05d}.jpg", quality=95)
        self.folder = folder

    def read_rgb(self, index: int) -> np.ndarray:
        return np.asarray(Image.open(self.folder / f"{index:05d}.jpg").convert("RGB"))


@pytest.fixture
def states(tiny_engine, tmp_path):
    """(ours, sam2's) for the same three-frame video, each right after it was made."""
    video = JpegVideo(tmp_path)
    ours = tiny_engine.session("state-keys", video, lambda: [])
    theirs = tiny_engine.predictor.init_state(str(tmp_path))
    yield video, ours, theirs
    tiny_engine.forget("state-keys")


def test_our_state_has_the_keys_and_value_types_of_sam2s_init_state(states):
    _, ours, theirs = states
    assert set(ours.state) == set(theirs)
    for key, value in theirs.items():
        if key != "images":  # a LazyVideoFrames standing in for sam2's (N, 3, S, S) tensor
            assert type(ours.state[key]) is type(value), key
    for key in ("num_frames", "video_height", "video_width", "offload_video_to_cpu", "offload_state_to_cpu"):
        assert ours.state[key] == theirs[key], key
    assert ours.state["device"] == theirs["device"] and ours.state["storage_device"] == theirs["storage_device"]


def test_our_frames_read_as_sam2s(states):
    _, ours, theirs = states
    assert len(ours.state["images"]) == len(theirs["images"])
    for i in range(len(theirs["images"])):
        mine, sam2s = ours.state["images"][i], theirs["images"][i]
        # The same resize (PIL's) and ImageNet normalisation of the same JPEG pixels.
        assert mine.shape == sam2s.shape and mine.dtype == sam2s.dtype
        assert torch.equal(mine, sam2s), f"frame {i}: mean difference {(mine - sam2s).abs().mean():.4f}"


def test_our_cached_features_hold_what_sam2_reads_from_its_own(states, tiny_engine):
    """init_state encodes frame 0 into ``cached_features``; ours keeps a slimmed copy of each
    clicked frame's entry, which sam2 reads back on the next click of that frame."""
    _, ours, theirs = states
    tiny_engine.segment(ours, 0, 1, [PointPrompt(40, 60)])
    (their_image, their_out) = theirs["cached_features"][0]
    (my_image, my_out) = ours.state["cached_features"][0]
    assert my_image.shape == their_image.shape
    assert set(my_out) <= set(their_out)
    for key in my_out:
        assert [t.shape for t in my_out[key]] == [t.shape for t in their_out[key]], key
        assert all(isinstance(t, torch.Tensor) for t in my_out[key])
