"""One gate for engine input: the same bad input is refused by every engine with the same
exception (a ValueError, which the service answers with a 422) and the same sentence."""

from __future__ import annotations

import numpy as np
import pytest

from video_seg_backend.engine.base import BoxPrompt, ListFrames, PointPrompt
from video_seg_backend.engine.checks import EngineInputError
from video_seg_backend.engine.opencv import OpenCVEngine

W, H, N = 160, 120, 12
FRAMES = ListFrames([np.full((H, W, 3), 40, np.uint8) for _ in range(N)])
WRONG_MASK = np.zeros((10, 10), bool)

# (what is tried, a phrase the person reads)
CASES = {
    "frame out of range": (lambda e, s: e.segment(s, N, 1, [PointPrompt(1, 1)]), "out of range"),
    "negative frame": (lambda e, s: e.segment(s, -1, 1, [PointPrompt(1, 1)]), "out of range"),
    "point outside": (lambda e, s: e.segment(s, 0, 1, [PointPrompt(W + 1, 10)]), "outside the 160x120 frame"),
    "point not a number": (lambda e, s: e.segment(s, 0, 1, [PointPrompt(float("nan"), 10)]), "outside"),
    "box outside": (lambda e, s: e.segment(s, 0, 1, [BoxPrompt(10, 10, 300, 50)]), "not inside"),
    "box empty": (lambda e, s: e.segment(s, 0, 1, [BoxPrompt(50, 50, 40, 60)]), "empty"),
    "base mask of another size": (
        lambda e, s: e.segment(s, 0, 1, [PointPrompt(1, 1)], WRONG_MASK),
        "frame is 160x120",
    ),
    "mask of another size": (lambda e, s: e.set_mask(s, 0, 1, WRONG_MASK), "frame is 160x120"),
    "mask on a frame out of range": (lambda e, s: e.set_mask(s, N, 1, np.zeros((H, W), bool)), "out of range"),
    "tracking from a frame out of range": (lambda e, s: e.propagate(s, [1], N, "forward"), "out of range"),
    "unknown direction": (lambda e, s: e.propagate(s, [1], 0, "sideways"), "'forward' or 'backward'"),
    "negative max_frames": (lambda e, s: e.propagate(s, [1], 0, "forward", max_frames=-1), "0 or more"),
    "start mask of another size": (
        lambda e, s: e.propagate(s, [1], 0, "forward", start_masks={1: WRONG_MASK}),
        "frame is 160x120",
    ),
}


@pytest.fixture(scope="module")
def sam2_engine(tmp_path_factory):
    pytest.importorskip("sam2")
    from video_seg_backend.core.config import Settings
    from video_seg_backend.engine.sam2_engine import build_sam2_engine

    settings = Settings(
        allow_random_weights=True,
        sam2_image_size=256,
        device="cpu",
        offline=True,
        checkpoint_dir=tmp_path_factory.mktemp("checkpoints"),
        _env_file=None,
    )
    return build_sam2_engine("sam2.1_hiera_tiny_random", "configs/sam2.1/sam2.1_hiera_t.yaml", None, settings)


def refusal(engine, case: str) -> str:
    attempt, phrase = CASES[case]
    session = engine.session(f"input-{case}", FRAMES, lambda: [])
    with pytest.raises(EngineInputError) as refused:
        attempt(engine, session)
    assert isinstance(refused.value, ValueError)
    assert phrase in str(refused.value)
    return str(refused.value)


@pytest.mark.parametrize("case", list(CASES))
def test_opencv_refuses_bad_input_with_a_sentence(case):
    refusal(OpenCVEngine(), case)


@pytest.mark.sam2
@pytest.mark.parametrize("case", list(CASES))
def test_sam2_refuses_bad_input_with_the_same_sentence_as_opencv(sam2_engine, case):
    assert refusal(sam2_engine, case) == refusal(OpenCVEngine(), case)


@pytest.mark.sam2
def test_a_session_of_another_engine_is_refused(sam2_engine):
    opencv = OpenCVEngine()
    theirs = sam2_engine.session("other-engine", FRAMES, lambda: [])
    with pytest.raises(EngineInputError, match="belongs to another engine"):
        opencv.segment(theirs, 0, 1, [PointPrompt(1, 1)])
    with pytest.raises(EngineInputError, match="belongs to another engine"):
        sam2_engine.segment(opencv.session("other-engine", FRAMES, lambda: []), 0, 1, [PointPrompt(1, 1)])


@pytest.fixture(scope="module")
def edgetam_engine():
    pytest.importorskip("transformers")
    pytest.importorskip("timm")
    from video_seg_backend.core.config import Settings
    from video_seg_backend.engine.edgetam_engine import build_edgetam_engine

    settings = Settings(allow_random_weights=True, sam2_image_size=256, device="cpu", offline=True, _env_file=None)
    return build_edgetam_engine("edgetam_random", None, settings)


@pytest.mark.parametrize("case", list(CASES))
def test_edgetam_refuses_bad_input_with_the_same_sentence_as_opencv(edgetam_engine, case):
    assert refusal(edgetam_engine, case) == refusal(OpenCVEngine(), case)


def test_a_session_of_another_engine_is_refused_by_edgetam(edgetam_engine):
    opencv = OpenCVEngine()
    with pytest.raises(EngineInputError, match="belongs to another engine"):
        edgetam_engine.segment(opencv.session("other-engine", FRAMES, lambda: []), 0, 1, [PointPrompt(1, 1)])
    with pytest.raises(EngineInputError, match="belongs to another engine"):
        opencv.segment(edgetam_engine.session("other-engine", FRAMES, lambda: []), 0, 1, [PointPrompt(1, 1)])
