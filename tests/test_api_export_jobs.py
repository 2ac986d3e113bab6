"""Exports built on the server as jobs: the file equals the direct download's content, shows
progress in masks, is fetched once completed, and old files make room for new ones."""

from __future__ import annotations

import io
import json
import zipfile

from pycocotools.coco import COCO

from tests.conftest import wait_job
from tests.test_api_datasets import clicked_and_tracked
from video_seg_backend.jobs.export import KEEP_EXPORTS


def coco_of(zip_bytes: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as z:
        (name,) = [n for n in z.namelist() if n.endswith(".json")]
        return json.loads(z.read(name))


def test_an_export_job_writes_the_zip_the_direct_download_gives(client, tmp_path):
    pid, _ = clicked_and_tracked(client, tmp_path)
    started = client.post(f"/api/v1/projects/{pid}/exports", json={"format": "coco"})
    assert started.status_code == 202, started.text
    assert started.json()["kind"] == "export" and started.json()["queue"] == "io"
    done = wait_job(client, started.json()["id"])
    assert done["status"] == "completed", done
    masks = done["params"]["result"]["masks"]
    assert masks == done["progress_done"] == done["progress_total"] == 12  # one mask per frame

    file = client.get(f"/api/v1/jobs/{done['id']}/file")
    assert file.status_code == 200 and file.headers["content-type"] == "application/zip"
    assert 'filename="loop_coco.zip"' in file.headers["content-disposition"]
    direct = client.get(f"/api/v1/projects/{pid}/export", params={"format": "coco"})
    ours, theirs = coco_of(file.content), coco_of(direct.content)
    assert ours["annotations"] == theirs["annotations"] and ours["images"] == theirs["images"]
    path = tmp_path / "coco.json"
    path.write_text(json.dumps(ours))
    assert len(COCO(str(path)).getAnnIds()) == 12
    leftovers = [p for p in (tmp_path / "data").rglob("*.part")]
    assert leftovers == []


def test_an_export_file_is_refused_while_it_runs_and_for_other_jobs_and_old_ones_are_removed(client, tmp_path):
    pid, base = clicked_and_tracked(client, tmp_path)
    tracking = client.get(f"/api/v1/projects/{pid}/jobs").json()[0]
    refused = client.get(f"/api/v1/jobs/{tracking['id']}/file")
    assert refused.status_code == 409 and "only export jobs" in refused.json()["detail"]
    bad = client.post(f"/api/v1/projects/{pid}/exports", json={"format": "pascal"})
    assert bad.status_code == 422

    ids = []
    for _ in range(KEEP_EXPORTS + 1):
        job = client.post(f"/api/v1/projects/{pid}/exports", json={"format": "davis"}).json()
        assert wait_job(client, job["id"])["status"] == "completed"
        ids.append(job["id"])
    gone = client.get(f"/api/v1/jobs/{ids[0]}/file")
    assert gone.status_code == 410 and "export again" in gone.json()["detail"]
    assert client.get(f"/api/v1/jobs/{ids[-1]}/file").status_code == 200
    assert client.get("/api/v1/jobs/999999/file").status_code == 404
