"""The device choice (CUDA, then MPS, then CPU) and the bf16 path that CUDA runs.

No GPU is lent to this project's test machines, so the bf16 autocast that the engine uses on CUDA
runs here as CPU autocast (which the engine also uses on a CPU with bf16 instructions): the same
casts reach the same code (feature caches, memory encoding, mask and score conversion to numpy),
which is where a bf16 tensor would break the service.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from video_seg_backend.core.config import Settings
from video_seg_backend.engine import checkpoints
from video_seg_backend.engine.base import BoxPrompt, PointPrompt
from video_seg_backend.engine.registry import ModelRegistry
from video_seg_backend.engine.sam2_engine import Sam2Engine, Sam2EngineConfig, select_autocast, select_device

pytestmark = pytest.mark.sam2


def cuda_predictor():
    """What the engine reads of a predictor built for CUDA (none can be built here)."""
    fake = type("Predictor", (), {})()
    fake.device = torch.device("cuda")
    fake.num_maskmem, fake.memory_temporal_stride_for_eval = 7, 1
    fake.use_obj_ptrs_in_encoder, fake.max_obj_ptrs_in_encoder = True, 16
    return fake


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(True, True, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_auto_picks_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
    assert select_device("auto").type == expected
    assert select_device("cpu").type == "cpu"  # a setting overrides the choice


def test_a_forced_device_that_is_absent_is_refused_with_a_sentence(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device is set to cuda, but PyTorch sees no CUDA GPU"):
        select_device("cuda")
    with pytest.raises(ValueError, match="set to mps, but Apple's Metal"):
        select_device("mps")
    monkeypatch.setattr(checkpoints, "_hf_cached", lambda spec: None)
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / checkpoints.SAM2_BY_KEY["sam2.1_hiera_tiny"].filename).write_bytes(b"weights")
    settings = Settings(device="cuda", allow_random_weights=True, checkpoint_dir=folder, offline=True, _env_file=None)
    registry = ModelRegistry(settings)
    assert registry.device == "cuda"  # reported as set; loading a model then says why it cannot
    for key in ("sam2.1_hiera_tiny_random", "sam2.1_hiera_tiny"):
        # the device is the reason, not the checkpoint file (which is never opened)
        with pytest.raises(ValueError, match="^The device is set to cuda, but PyTorch sees no CUDA GPU"):
            registry.get(key)


@pytest.mark.parametrize(
    ("device", "native", "precision", "expected"),
    [
        ("cuda", True, "auto", ("cuda", torch.bfloat16)),
        ("cuda", False, "auto", None),  # a pre-Ampere GPU would emulate bf16: float32 is faster
        ("cpu", True, "auto", ("cpu", torch.bfloat16)),
        ("cpu", False, "auto", None),
        ("mps", False, "auto", None),
        ("cpu", False, "bf16", ("cpu", torch.bfloat16)),  # forced
        ("cuda", True, "fp32", None),
        ("cpu", True, "fp32", None),
    ],
)
def test_precision_is_bf16_where_the_device_has_it(monkeypatch, device, native, precision, expected):
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: native)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: native)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert select_autocast(torch.device(device), precision) == expected


def test_bf16_forced_on_mps_is_refused_with_a_sentence():
    with pytest.raises(ValueError, match="precision is set to bf16, which runs on cuda and cpu, not on mps"):
        select_autocast(torch.device("mps"), "bf16")


def test_the_engine_runs_under_the_chosen_precision(monkeypatch, tiny_engine):
    fake = cuda_predictor()
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert Sam2Engine("cuda", fake).autocast == ("cuda", torch.bfloat16)
    assert Sam2Engine("cuda", fake, Sam2EngineConfig(precision="fp32")).autocast is None
    assert Sam2Engine("cpu", tiny_engine.predictor, Sam2EngineConfig(precision="fp32")).autocast is None
    settings = Settings(precision="fp32", _env_file=None)
    assert Sam2EngineConfig.from_settings(settings).precision == "fp32"


def test_offloading_settings_reach_the_engine_and_apply_on_a_gpu_only(tiny_engine, video):
    settings = Settings(offload_video_to_cpu=True, offload_state_to_cpu=True, _env_file=None)
    config = Sam2EngineConfig.from_settings(settings)
    assert config.offload_video_to_cpu and config.offload_state_to_cpu
    fake = cuda_predictor()
    on_gpu = Sam2Engine("cuda", fake, config)
    assert (on_gpu._video_device, on_gpu._storage_device) == (torch.device("cpu"), torch.device("cpu"))
    assert Sam2Engine("cuda", fake)._storage_device == torch.device("cuda")  # off by default
    # On the CPU there is nowhere to offload to: sam2's state says so, and the engine runs as usual.
    engine = Sam2Engine("offload", tiny_engine.predictor, config)
    session = engine.session("offload", video, lambda: [])
    assert not session.state["offload_video_to_cpu"] and not session.state["offload_state_to_cpu"]
    assert engine.segment(session, 0, 1, [PointPrompt(50, 60)]).mask.shape == (video.height, video.width)
    engine.forget("offload")


def test_health_reports_device_and_precision(monkeypatch, tmp_path):
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: True)
    for precision, expected in (("auto", "bf16"), ("fp32", "fp32")):
        registry = ModelRegistry(Settings(device="cpu", precision=precision, checkpoint_dir=tmp_path, _env_file=None))
        assert (registry.device, registry.precision) == ("cpu", expected)


def test_clicks_and_tracking_under_bf16_autocast_give_numpy_masks(tiny_engine, video):
    engine = Sam2Engine("bf16", tiny_engine.predictor, Sam2EngineConfig(precision="bf16"))
    assert engine.autocast == ("cpu", torch.bfloat16)
    session = engine.session("bf16", video, lambda: [])
    clicked = engine.segment(session, 3, 1, [PointPrompt(50, 60)])
    boxed = engine.segment(session, 3, 2, [BoxPrompt(80, 30, 130, 90), PointPrompt(100, 60)])
    # the frame's features were computed in bf16: autocast really ran
    (features,) = session.features.values()
    assert torch.bfloat16 in {t.dtype for t in features[1]["backbone_fpn"]}
    for result in (clicked, boxed):
        assert result.mask.shape == (video.height, video.width) and result.mask.dtype == np.bool_
        assert 0.0 <= result.score <= 1.0
    frames = {}
    for direction in ("forward", "backward"):
        for frame, masks in engine.propagate(session, [1, 2], 3, direction, max_frames=2):
            assert [m.object_id for m in masks] == [1, 2]
            assert all(m.mask.dtype == np.bool_ and m.mask.shape == (video.height, video.width) for m in masks)
            frames[frame] = masks
    assert sorted(frames) == [1, 2, 3, 4, 5]
    # a correction on a tracked frame goes through the bf16 memory too
    corrected = engine.segment(session, 5, 1, [PointPrompt(70, 60), PointPrompt(5, 5, positive=False)])
    assert corrected.mask.dtype == np.bool_
    engine.forget("bf16")
