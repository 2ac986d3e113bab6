"""Checkpoint downloads as jobs: progress, success making the model available, failure reported.

huggingface_hub's download is replaced by a stand-in that streams bytes through the tqdm class it
is given, as the real one does; no network is used."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings, wait_job
from video_seg_backend.main import create_app

pytest.importorskip("sam2", reason="the sam2 package is not installed")


def fake_download(fail: bool):
    def hf_hub_download(*, repo_id: str, filename: str, local_dir: Path, tqdm_class=None, **_: object) -> str:
        assert repo_id == "facebook/sam2.1-hiera-tiny" and filename == "sam2.1_hiera_tiny.pt"
        bar = tqdm_class(total=3000, initial=0) if tqdm_class else None
        for _chunk in range(3):
            if bar:
                bar.update(1000)
            if fail:
                raise OSError("connection reset by peer")
        path = Path(local_dir) / filename
        path.write_bytes(b"\0" * 3000)
        return str(path)

    return hf_hub_download


@pytest.mark.parametrize("fail", [False, True])
def test_download_job_reports_progress_and_outcome(tmp_path, monkeypatch, fail):
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download(fail))
    # The Hub counts as reachable: the download itself is the fake above (this machine is offline).
    monkeypatch.setattr("video_seg_backend.jobs.model_download.hub_unreachable_reason", lambda: None)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    settings = make_settings(tmp_path, offline=False)
    with TestClient(create_app(settings)) as client:
        before = {m["key"]: m for m in client.get("/api/v1/models").json()}["sam2.1_hiera_tiny"]
        assert not before["available"] and before["downloadable"]
        job = client.post("/api/v1/models/sam2.1_hiera_tiny/download")
        assert job.status_code == 202 and job.json()["kind"] == "download-model"
        done = wait_job(client, job.json()["id"])
        after = {m["key"]: m for m in client.get("/api/v1/models").json()}["sam2.1_hiera_tiny"]
        if fail:
            assert done["status"] == "failed" and "connection reset" in done["error"]
            assert not after["available"] and "The last download failed (connection reset" in after["reason"]
        else:
            assert done["status"] == "completed" and done["progress_done"] == done["progress_total"] == 3000
            assert after["available"] and after["reason"] is None
            assert (settings.checkpoint_dir / "sam2.1_hiera_tiny.pt").exists()
            assert client.get("/api/v1/health").json()["default_model"] == "sam2.1_hiera_tiny"
