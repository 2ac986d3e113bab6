"""The model registry and checkpoint lookup (no download is ever attempted here)."""

from __future__ import annotations

import pytest

from video_seg_backend.core.config import Settings
from video_seg_backend.engine import checkpoints
from video_seg_backend.engine.registry import EDGETAM_KEY, OPENCV_KEY, RANDOM_TINY_KEY, SAM3_KEY, ModelRegistry

pytestmark = pytest.mark.sam2

SAM2_KEYS = ["sam2.1_hiera_large", "sam2.1_hiera_base_plus", "sam2.1_hiera_small", "sam2.1_hiera_tiny"]


@pytest.fixture(autouse=True)
def _empty_hf_cache(tmp_path, monkeypatch):
    """No checkpoint from a real huggingface_hub cache on this machine may leak into the tests."""
    monkeypatch.setattr(checkpoints, "_hf_cached", lambda spec: None)
    monkeypatch.setattr(checkpoints, "_hf_cached_folder", lambda spec: None)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def _settings(tmp_path, **kwargs) -> Settings:
    return Settings(checkpoint_dir=tmp_path / "ckpt", _env_file=None, **kwargs)


def test_offline_without_checkpoints_lists_sam2_as_unavailable_with_the_reason(tmp_path):
    registry = ModelRegistry(_settings(tmp_path, offline=True))
    catalogue = {m.key: m for m in registry.catalogue()}
    assert list(catalogue) == [OPENCV_KEY, EDGETAM_KEY, *SAM2_KEYS, SAM3_KEY]
    assert catalogue[OPENCV_KEY].available
    for key in SAM2_KEYS:
        info = catalogue[key]
        assert not info.available and not info.downloadable
        assert "offline" in info.reason and info.reason.endswith(".")
    assert registry.default_key() == OPENCV_KEY
    with pytest.raises(ValueError, match="not available: No checkpoint"):
        registry.get("sam2.1_hiera_tiny")
    with pytest.raises(ValueError, match="Unknown model"):
        registry.get("sam4")
    with pytest.raises(ValueError, match="clicks and tracking need another model"):
        registry.get("sam3")  # SAM 3 answers text prompts only


def test_a_corrupt_checkpoint_is_refused_with_a_sentence(tmp_path):
    settings = _settings(tmp_path, offline=True, sam2_image_size=256, device="cpu")
    settings.checkpoint_dir.mkdir()
    (settings.checkpoint_dir / "sam2.1_hiera_tiny.pt").write_bytes(b"not really a checkpoint")
    with pytest.raises(ValueError, match="could not be loaded .* download it again"):
        ModelRegistry(settings).get("sam2.1_hiera_tiny")


def test_hf_hub_offline_counts_as_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    registry = ModelRegistry(_settings(tmp_path))
    tiny = next(m for m in registry.catalogue() if m.key == "sam2.1_hiera_tiny")
    assert not tiny.available and "offline" in tiny.reason
    with pytest.raises(RuntimeError, match="offline"):
        registry.download("sam2.1_hiera_tiny")


def test_online_without_checkpoint_is_downloadable(tmp_path):
    registry = ModelRegistry(_settings(tmp_path))
    tiny = next(m for m in registry.catalogue() if m.key == "sam2.1_hiera_tiny")
    assert not tiny.available and tiny.downloadable and "facebook/sam2.1-hiera-tiny" in tiny.reason


def test_a_checkpoint_in_the_local_folder_makes_the_model_available_and_default(tmp_path):
    settings = _settings(tmp_path, offline=True)
    settings.checkpoint_dir.mkdir()
    (settings.checkpoint_dir / "sam2.1_hiera_small.pt").write_bytes(b"not really a checkpoint")
    registry = ModelRegistry(settings)
    catalogue = {m.key: m for m in registry.catalogue()}
    assert catalogue["sam2.1_hiera_small"].available and catalogue["sam2.1_hiera_small"].reason is None
    assert not catalogue["sam2.1_hiera_large"].available
    assert registry.default_key() == "sam2.1_hiera_small"
    spec = checkpoints.SAM2_BY_KEY["sam2.1_hiera_small"]
    assert checkpoints.find_checkpoint(spec, settings) == settings.checkpoint_dir / "sam2.1_hiera_small.pt"
    done: list[tuple[int, int]] = []
    path = registry.download("sam2.1_hiera_small", lambda d, t: done.append((d, t)))
    assert path == settings.checkpoint_dir / "sam2.1_hiera_small.pt"
    assert done == [(23, 23)]  # already here: no download, progress says complete


def test_default_model_setting_overrides_when_available(tmp_path):
    registry = ModelRegistry(_settings(tmp_path, offline=True, default_model=OPENCV_KEY))
    assert registry.default_key() == OPENCV_KEY
    registry = ModelRegistry(_settings(tmp_path, offline=True, default_model="sam2.1_hiera_large"))
    assert registry.default_key() == OPENCV_KEY  # not available: falls back


def test_random_tiny_model_only_when_allowed_and_loaded_once(tmp_path):
    assert RANDOM_TINY_KEY not in {m.key for m in ModelRegistry(_settings(tmp_path)).catalogue()}
    registry = ModelRegistry(
        _settings(tmp_path, offline=True, allow_random_weights=True, sam2_image_size=256, device="cpu")
    )
    info = next(m for m in registry.catalogue() if m.key == RANDOM_TINY_KEY)
    assert info.available
    engine = registry.get(RANDOM_TINY_KEY)
    assert engine.key == RANDOM_TINY_KEY and registry.get(RANDOM_TINY_KEY) is engine
    assert engine.predictor.image_size == 256
    assert registry.device == "cpu"


def test_opencv_engine_is_loaded_lazily(tmp_path):
    registry = ModelRegistry(_settings(tmp_path, offline=True))
    assert registry.loaded() == []
    engine = registry.get(OPENCV_KEY)
    assert engine.key == OPENCV_KEY and registry.get(OPENCV_KEY) is engine


def test_download_progress_is_reported_through_the_tqdm_class():
    reports: list[tuple[int, int]] = []
    bar_class = checkpoints._progress_bar_class(lambda done, total: reports.append((done, total)))
    bar = bar_class(total=100, initial=10, desc="x")
    bar.update(40)
    bar.update(50)
    bar.close()
    assert reports == [(10, 100), (50, 100), (100, 100)]
