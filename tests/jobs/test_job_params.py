"""Job params typed per kind: rows stored before the types existed still read, through code and API."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from video_seg_backend.jobs.params import (
    DownloadModelParams,
    PropagateParams,
    parse_params,
    propagate_params,
    store_params,
)
from video_seg_backend.models import Job, JobKind, JobStatus
from video_seg_backend.services.planning import TrackingRun

# As the propagate route stored them before params had types: runs as [start, direction, frames].
OLD_TRACKING = {
    "media_id": 3,
    "object_ids": [5, 6],
    "runs": [[10, "forward", 4], [10, "backward", 4]],
    "model": "opencv",
    "start_frame": 10,
    "direction": "both",
}


def test_an_old_tracking_row_reads_as_typed_runs_and_writes_back_as_it_was():
    params = parse_params(JobKind.propagate, OLD_TRACKING)
    assert isinstance(params, PropagateParams)
    assert params.runs == [TrackingRun(10, "forward", 4), TrackingRun(10, "backward", 4)]
    assert params.total_frames == 8
    assert (params.changes, params.undone, params.result) == (None, False, None)
    stored = params.model_dump(mode="json")
    assert {k: stored[k] for k in OLD_TRACKING} == OLD_TRACKING  # the column keeps its shape


def test_the_bookkeeping_written_into_tracking_params_reads_back():
    row = {**OLD_TRACKING, "changes": "dropped", "undone": True, "result": {"frames_written": 7}}
    params = parse_params(JobKind.propagate, row)
    assert isinstance(params, PropagateParams)
    assert (params.changes, params.undone, params.result and params.result.frames_written) == ("dropped", True, 7)


def test_rows_without_params_and_model_downloads_read_too():
    assert parse_params(JobKind.propagate, {}) == PropagateParams()
    download = parse_params(JobKind.download_model, {"model": "m", "result": {"model": "m", "available": True}})
    assert isinstance(download, DownloadModelParams) and download.result and download.result.available


def test_a_kind_without_a_handler_has_no_params_and_bad_values_are_refused():
    with pytest.raises(ValueError, match="carry no params"):
        parse_params(JobKind.import_, {})
    with pytest.raises(ValueError):
        parse_params(JobKind.propagate, {**OLD_TRACKING, "runs": [[10, "sideways", 4]]})
    with pytest.raises(ValueError, match="not a tracking job"):
        propagate_params(Job(id=1, kind=JobKind.download_model, params={"model": "m"}))


def test_store_params_replaces_the_dict_so_the_change_is_saved():
    job = Job(kind=JobKind.propagate, params=dict(OLD_TRACKING))
    before = job.params
    store_params(job, propagate_params(job).model_copy(update={"undone": True}))
    assert job.params is not before and job.params["undone"] is True and job.params["runs"] == OLD_TRACKING["runs"]


def test_old_rows_are_served_typed_by_the_api(client):
    pid = client.post("/api/v1/projects", json={"name": "p", "media_type": "video"}).json()["id"]
    db = client.app.state.studio.db  # type: ignore[attr-defined]
    with Session(db) as session:
        tracking = Job(project_id=pid, kind=JobKind.propagate, status=JobStatus.completed,
                       params={**OLD_TRACKING, "changes": "dropped"})  # fmt: skip
        download = Job(kind=JobKind.download_model, status=JobStatus.failed, params={"model": "sam2.1_hiera_tiny"})
        session.add_all([tracking, download])
        session.commit()
        ids = tracking.id, download.id
    served = client.get(f"/api/v1/jobs/{ids[0]}").json()
    assert served["kind"] == "propagate"
    assert served["params"]["runs"] == [[10, "forward", 4], [10, "backward", 4]]
    assert served["params"]["changes"] == "dropped" and served["params"]["undone"] is False
    assert [j["id"] for j in client.get(f"/api/v1/projects/{pid}/jobs").json()] == [ids[0]]
    too_old = client.post(f"/api/v1/jobs/{ids[0]}/undo")
    assert too_old.status_code == 410 and "too old to undo" in too_old.json()["detail"]
    served = client.get(f"/api/v1/jobs/{ids[1]}").json()
    assert served["kind"] == "download-model" and served["params"] == {"model": "sam2.1_hiera_tiny", "result": None}


def test_the_openapi_document_types_params_by_job_kind(client):
    spec = client.get("/api/v1/openapi.json").json()
    served = spec["paths"]["/api/v1/jobs/{job_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert served["schema"] == {"$ref": "#/components/schemas/JobPublic"}
    schemas = spec["components"]["schemas"]
    job = schemas["JobPublic"]
    assert job["discriminator"]["propertyName"] == "kind"
    kinds = {"propagate", "download-model", "export", "keypoints", "auto-annotate"}
    assert set(job["discriminator"]["mapping"]) == kinds
    assert schemas["AutoAnnotateJobPublic"]["properties"]["params"] == {
        "$ref": "#/components/schemas/AutoAnnotateParams"
    }
    assert schemas["PropagateJobPublic"]["properties"]["params"] == {"$ref": "#/components/schemas/PropagateParams"}
    run = schemas["PropagateParams"]["properties"]["runs"]["items"]
    assert [item.get("type") for item in run["prefixItems"]] == ["integer", "string", "integer"]
    assert run["prefixItems"][1]["enum"] == ["forward", "backward"]
