"""EdgeTAM in the catalogue: local folder first, a download job otherwise, offline says why, and it is
the default on a machine without a GPU once its weights are here. No network is ever used."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings, wait_job
from video_seg_backend.core.config import Settings
from video_seg_backend.engine import checkpoints
from video_seg_backend.engine.registry import EDGETAM_KEY, OPENCV_KEY, RANDOM_EDGETAM_KEY, ModelRegistry
from video_seg_backend.main import create_app

REPO = "yonigozlan/EdgeTAM-hf"


@pytest.fixture(autouse=True)
def _empty_hf_cache(monkeypatch):
    """No weights from a real huggingface_hub cache on this machine may leak into the tests."""
    monkeypatch.setattr(checkpoints, "_hf_cached", lambda spec: None)
    monkeypatch.setattr(checkpoints, "_hf_cached_folder", lambda spec: None)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def _settings(tmp_path, **kwargs) -> Settings:
    return Settings(checkpoint_dir=tmp_path / "ckpt", _env_file=None, **kwargs)


def _place_weights(settings: Settings, weights: bytes = b"not really weights") -> Path:
    folder = settings.checkpoint_dir / "EdgeTAM-hf"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text("{}")
    (folder / "model.safetensors").write_bytes(weights)
    return folder


def test_offline_without_weights_edgetam_is_unavailable_with_the_reason(tmp_path):
    registry = ModelRegistry(_settings(tmp_path, offline=True))
    info = registry.info(EDGETAM_KEY)
    assert info.engine == "edgetam" and not info.available and not info.downloadable
    assert "offline" in info.reason and "EdgeTAM-hf" in info.reason and info.reason.endswith(".")
    with pytest.raises(ValueError, match="not available: No weights"):
        registry.get(EDGETAM_KEY)
    with pytest.raises(RuntimeError, match="offline"):
        registry.download(EDGETAM_KEY)


def test_online_without_weights_is_downloadable_from_the_hub(tmp_path):
    info = ModelRegistry(_settings(tmp_path)).info(EDGETAM_KEY)
    assert not info.available and info.downloadable and REPO in info.reason


def test_each_model_is_explained_in_a_line(tmp_path):
    for model in ModelRegistry(_settings(tmp_path, offline=True, allow_random_weights=True)).catalogue():
        assert model.summary.endswith(".") and model.speed and model.weights_mb is not None
        assert model.gated == (model.key == "sam3")  # only SAM 3's weights are gated
    info = ModelRegistry(_settings(tmp_path)).info(EDGETAM_KEY)
    assert "Fast" in info.summary and "56 MB" in info.summary and "not gated" in info.summary


def test_weights_in_the_local_folder_make_edgetam_available_and_the_default_on_a_cpu(tmp_path):
    settings = _settings(tmp_path, offline=True, device="cpu")
    folder = _place_weights(settings)
    registry = ModelRegistry(settings)
    assert registry.info(EDGETAM_KEY).available and registry.info(EDGETAM_KEY).reason is None
    assert registry.default_key() == EDGETAM_KEY
    (settings.checkpoint_dir / "sam2.1_hiera_small.pt").write_bytes(b"x")
    assert registry.default_key() == EDGETAM_KEY  # SAM 2.1 tracks at a third of the speed on a CPU
    done: list[tuple[int, int]] = []
    assert registry.download(EDGETAM_KEY, lambda d, t: done.append((d, t))) == folder
    assert done == [(20, 20)]  # already here: no download, progress says complete


def test_on_a_gpu_sam2_stays_the_default(tmp_path):
    settings = _settings(tmp_path, offline=True)
    _place_weights(settings)
    (settings.checkpoint_dir / "sam2.1_hiera_small.pt").write_bytes(b"x")
    registry = ModelRegistry(settings)
    registry.__dict__["device"] = "cuda"
    assert registry.default_key() == "sam2.1_hiera_small"
    (settings.checkpoint_dir / "sam2.1_hiera_small.pt").unlink()
    assert registry.default_key() == EDGETAM_KEY
    registry = ModelRegistry(_settings(tmp_path / "none", offline=True))
    assert registry.default_key() == OPENCV_KEY


def test_corrupt_weights_are_refused_with_a_sentence(tmp_path):
    settings = _settings(tmp_path, offline=True, device="cpu")
    _place_weights(settings)
    with pytest.raises(ValueError, match="could not be loaded .* download it again"):
        ModelRegistry(settings).get(EDGETAM_KEY)


def test_random_edgetam_only_when_allowed_and_loaded_once(tmp_path):
    assert RANDOM_EDGETAM_KEY not in {m.key for m in ModelRegistry(_settings(tmp_path)).catalogue()}
    registry = ModelRegistry(
        _settings(tmp_path, offline=True, allow_random_weights=True, sam2_image_size=256, device="cpu")
    )
    assert registry.info(RANDOM_EDGETAM_KEY).available
    engine = registry.get(RANDOM_EDGETAM_KEY)
    assert engine.key == RANDOM_EDGETAM_KEY and registry.get(RANDOM_EDGETAM_KEY) is engine
    assert engine.image_size == 256
    assert "edgetam" in registry.importable_engines()


def fake_hub(fail: bool):
    """huggingface_hub's download as it behaves: bytes stream through the tqdm class it is given."""

    def hf_hub_download(*, repo_id: str, filename: str, local_dir: Path, tqdm_class=None, **_: object) -> str:
        assert repo_id == REPO and filename in ("config.json", "model.safetensors")
        if fail:
            raise OSError("Cannot reach https://huggingface.co: connection refused")
        size = 3000 if filename == "model.safetensors" else 2
        bar = tqdm_class(total=size, initial=0) if tqdm_class else None
        if bar:
            bar.update(size)
        path = Path(local_dir) / filename
        path.write_bytes(b"{}" if size == 2 else b"\0" * size)
        return str(path)

    return hf_hub_download


@pytest.mark.parametrize("fail", [False, True])
def test_download_job_reports_progress_and_outcome(tmp_path, monkeypatch, fail):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_hub(fail))
    # The Hub counts as reachable: the download itself is the fake above (this machine is offline).
    monkeypatch.setattr("video_seg_backend.jobs.model_download.hub_unreachable_reason", lambda: None)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    settings = make_settings(tmp_path, offline=False, device="cpu")
    with TestClient(create_app(settings)) as client:
        before = {m["key"]: m for m in client.get("/api/v1/models").json()}[EDGETAM_KEY]
        assert not before["available"] and before["downloadable"] and before["speed"] == "fast"
        assert "edgetam" in client.get("/api/v1/health").json()["engines"]
        job = client.post(f"/api/v1/models/{EDGETAM_KEY}/download")
        assert job.status_code == 202 and job.json()["kind"] == "download-model"
        done = wait_job(client, job.json()["id"])
        after = {m["key"]: m for m in client.get("/api/v1/models").json()}[EDGETAM_KEY]
        if fail:
            assert done["status"] == "failed" and "Could not download yonigozlan/EdgeTAM-hf" in done["error"]
            assert "Cannot reach https://huggingface.co" in done["error"]
            assert not after["available"] and "The last download failed (Could not download" in after["reason"]
        else:
            assert done["status"] == "completed" and done["progress_done"] == done["progress_total"] == 3000
            assert after["available"] and after["reason"] is None
            assert client.get("/api/v1/health").json()["default_model"] == EDGETAM_KEY
