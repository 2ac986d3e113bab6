from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse
from sqlmodel import col, func, select

from video_seg_backend.api.deps import (
    CurrentUserDep,
    ProjectDep,
    ReadyMediaDep,
    RegistryDep,
    SegmentationDep,
    SessionDep,
    StorageDep,
    WorkerDep,
)
from video_seg_backend.api.routes.datasets import attachment
from video_seg_backend.auth.access import jobs_started_by
from video_seg_backend.jobs.export import KEEP_EXPORTS, export_path
from video_seg_backend.jobs.params import ExportParams, JobPublic, PropagateParams, propagate_params
from video_seg_backend.models import (
    Int,
    Job,
    JobKind,
    JobStatus,
    Media,
    PropagateRequest,
    Role,
    TrackedObject,
    TrackingChange,
)
from video_seg_backend.services import tracking_undo
from video_seg_backend.services.errors import PromptError
from video_seg_backend.services.planning import plan_runs

router = APIRouter(tags=["jobs"])


@router.post("/projects/{project_id}/media/{media_id}/propagate", response_model=JobPublic, status_code=202)
def propagate(
    *,
    session: SessionDep,
    segmentation: SegmentationDep,
    registry: RegistryDep,
    worker: WorkerDep,
    media: ReadyMediaDep,
    body: PropagateRequest,
) -> Job:
    """Start tracking objects through the video from a frame; returns the job (202)."""
    objects = list(session.exec(select(TrackedObject.id).where(TrackedObject.media_id == media.id)))
    object_ids = body.object_ids or [o for o in objects if o is not None]
    unknown = set(object_ids) - set(objects)
    if unknown:
        raise HTTPException(status_code=404, detail=f"Object(s) {sorted(unknown)} not found in this media item")
    if not object_ids:
        raise HTTPException(status_code=422, detail="This media item has no objects: add an object and a prompt first")
    key_frames = segmentation.key_frames(media.id or 0, object_ids)
    keyed = {k.object_id for k in key_frames}
    object_ids = [o for o in object_ids if o in keyed]
    model = body.model or registry.default_key()
    try:
        segmentation.engine(model)  # loads the model now: a bad choice fails here, not in the job
        runs = plan_runs(
            [k.frame_index for k in key_frames], media.num_frames - 1, body.start_frame, body.direction, body.num_frames
        )
    except PromptError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    except LookupError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    params = PropagateParams(
        media_id=media.id or 0,
        object_ids=object_ids,
        runs=runs,
        model=model,
        start_frame=body.start_frame,
        direction=body.direction,
        stop_below=body.stop_below,
        keep_confident=body.keep_confident,
    )
    job = Job(
        project_id=media.project_id,
        media_id=media.id,
        kind=JobKind.propagate,
        progress_total=params.total_frames,
        params=params.model_dump(mode="json"),
    )
    return worker.enqueue(session, job)


@router.get("/projects/{project_id}/jobs", response_model=list[JobPublic])
def list_jobs(
    *,
    session: SessionDep,
    user: CurrentUserDep,
    project: ProjectDep,
    active: bool = False,
    started_by: Int | None = None,
) -> list[Job]:
    """The project's jobs, newest first (``active``: only queued and running; ``started_by``: a
    user id). An annotator sees only their own, as with a single job."""
    query = select(Job).where(Job.project_id == project.id)
    if user.id is not None and user.role == Role.annotator:
        started_by = user.id
    if started_by is not None:
        query = query.where(col(Job.id).in_(jobs_started_by(started_by)))
    if active:
        query = query.where(col(Job.status).in_([JobStatus.queued, JobStatus.running]))
    return list(session.exec(query.order_by(col(Job.id).desc()).limit(100)))


@router.get("/jobs/{job_id}", response_model=JobPublic)
def get_job(*, session: SessionDep, job_id: Int) -> Job:
    """State and progress of a job."""
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="Job not found")
    return job


@router.post("/jobs/{job_id}/cancel", response_model=JobPublic)
def cancel_job(*, session: SessionDep, worker: WorkerDep, job_id: Int) -> Job:
    """Ask a job to stop; a propagation stops within one frame and keeps the frames it wrote."""
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="Job not found")
    if job.status in (JobStatus.queued, JobStatus.running):
        worker.cancel(job_id)
        session.refresh(job)
    return job


@router.get(
    "/jobs/{job_id}/file",
    responses={200: {"content": {"application/zip": {}}, "description": "The export's ZIP"}},
    response_class=FileResponse,
)
def job_file(*, session: SessionDep, storage: StorageDep, job_id: Int) -> FileResponse:
    """The ZIP an export job wrote (409 while it runs; 410 once it was removed for newer ones)."""
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="Job not found")
    if job.kind != JobKind.export:
        raise HTTPException(status_code=409, detail=f"A {job.kind.value} job writes no file; only export jobs do")
    if job.status != JobStatus.completed:
        raise HTTPException(
            status_code=409, detail=f"The export is {job.status.value}: its file exists once it completed"
        )
    params = ExportParams.model_validate(job.params)
    assert params.result is not None
    path = export_path(storage, params.project_id, job_id, params.result.filename)
    if not path.is_file():
        raise HTTPException(
            status_code=410, detail=f"This export's file was removed (the newest {KEEP_EXPORTS} are kept): export again"
        )
    return FileResponse(
        path, media_type="application/zip", headers={"Content-Disposition": attachment(params.result.filename)}
    )


def _undoable(session: SessionDep, job_id: int) -> tuple[Job, Media]:
    job = session.get(Job, job_id)
    if job is None:
        raise HTTPException(status_code=404, detail="Job not found")
    if job.kind != JobKind.propagate:
        raise HTTPException(status_code=409, detail="Only tracking jobs can be undone")
    if job.status in (JobStatus.queued, JobStatus.running):
        raise HTTPException(status_code=409, detail="The tracking job is still running: cancel it or wait")
    if propagate_params(job).changes == "dropped":
        raise HTTPException(
            status_code=410,
            detail=f"This tracking is too old to undo: the changes of the last {tracking_undo.UNDOABLE_TRACKING_JOBS} "
            "tracking jobs of a video are kept",
        )
    media = session.get(Media, job.media_id) if job.media_id is not None else None
    if media is None:
        raise HTTPException(status_code=404, detail="The job's media item was deleted")
    kept = session.exec(select(func.count()).select_from(TrackingChange).where(TrackingChange.job_id == job.id)).one()
    if job.progress_done > 0 and kept == 0:  # its objects were deleted since, and their changes with them
        raise HTTPException(
            status_code=410, detail="This tracking can no longer be undone: the objects it tracked were deleted since"
        )
    return job, media


def _set_undone(session: SessionDep, segmentation: SegmentationDep, job_id: int, undone: bool) -> Job:
    job, media = _undoable(session, job_id)
    if propagate_params(job).undone != undone:  # asked twice (a retry): nothing more to do
        tracking_undo.swap_tracking(segmentation, session, media, job, undone)
        session.refresh(job)
    return job


@router.post("/jobs/{job_id}/undo", response_model=JobPublic)
def undo_job(*, session: SessionDep, segmentation: SegmentationDep, job_id: Int) -> Job:
    """Undo a finished tracking job: the masks it replaced come back, the ones it created go (a
    frame a person fixed since keeps its mask). ``params.undone`` then says so."""
    return _set_undone(session, segmentation, job_id, True)


@router.post("/jobs/{job_id}/redo", response_model=JobPublic)
def redo_job(*, session: SessionDep, segmentation: SegmentationDep, job_id: Int) -> Job:
    """Put back the masks of a tracking job that was undone."""
    return _set_undone(session, segmentation, job_id, False)
