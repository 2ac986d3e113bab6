"""What each kind of job is given and what it records in ``Job.params``, typed per kind.

The column stays JSON; these models are how code reads and writes it and how the API shows it.
Rows stored before the models existed parse as they are: a run was, and is still stored as,
``[start, direction, frames]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, RootModel

from video_seg_backend.models import Job, JobKind, JobStatus
from video_seg_backend.services.planning import Direction, TrackingRun, Way


def _run_from_stored(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) == 3:  # checked field by field, as a dict is
        return {"start": value[0], "direction": value[1], "frames": value[2]}
    return value


StoredRun = Annotated[
    TrackingRun,
    BeforeValidator(_run_from_stored),
    PlainSerializer(lambda run: (run.start, run.direction, run.frames), return_type=tuple[int, Way, int]),
]


class LostObject(BaseModel):
    object_id: int
    frame_index: int = Field(description="The first frame of the stretch, up to the run's end, where it was lost")


class RefoundObject(BaseModel):
    object_id: int
    frame_index: int = Field(
        description="The first frame where the engine, having lost the object, found it again by searching the frame"
    )


class LeftViewObject(BaseModel):
    object_id: int
    frame_index: int = Field(description="The first frame where the engine followed the object out of the frame")


class PropagateResult(BaseModel):
    frames_written: int
    # What the person should know when the job ends (review/summary.py); absent on older rows.
    lost: list[LostObject] = []
    refound: list[RefoundObject] = Field(
        default=[], description="Objects found again after being lost: a guess by colour, worth a look"
    )
    left_view: list[LeftViewObject] = Field(
        default=[], description="Objects the engine followed out of the frame: their masks are empty from there"
    )
    stopped_at: list[int] = Field(default=[], description="Frames where a run stopped at drift (stop_below)")
    frames_to_review: int = 0
    kept: int = Field(
        default=0, description="Tracked masks left as they were: another key frame's track was more confident there"
    )
    summary: str | None = None


class PropagateParams(BaseModel):
    """A tracking job: the runs planned when it was asked for, and its undo state. Every field has
    a default so that any row stored so far parses: listing jobs must never fail on an old one."""

    media_id: int | None = None
    object_ids: list[int] = []
    runs: list[StoredRun] = Field(default=[], description="[start frame, direction, frames after start] per run")
    model: str | None = None
    # As the request asked (the runs are what it planned to).
    start_frame: int | None = None
    direction: Direction = "both"
    stop_below: float | None = Field(default=None, description="Each run stops at the first mask under this confidence")
    keep_confident: bool = Field(default=True, description="Leave the more confident masks of unchanged key frames")
    changes: Literal["dropped"] | None = Field(
        default=None, description='"dropped": too old, the masks it replaced are no longer kept (no undo)'
    )
    undone: bool = False
    result: PropagateResult | None = None

    @property
    def total_frames(self) -> int:
        return sum(run.frames for run in self.runs)


class DownloadModelResult(BaseModel):
    model: str
    available: bool


class DownloadModelParams(BaseModel):
    model: str
    result: DownloadModelResult | None = None


class ExportResult(BaseModel):
    filename: str
    bytes: int
    masks: int


class ExportParams(BaseModel):
    """A dataset export written to a file on the server (``GET /jobs/{id}/file`` fetches it)."""

    project_id: int
    format: str
    include_frames: bool = False
    include_png_masks: bool = False
    include_annotator: bool = False
    result: ExportResult | None = None


class KeypointsResult(BaseModel):
    frames_written: int
    points_kept: int = Field(description="Tracked points still labelled (visibility > 0)")
    points_dropped: int = Field(description="Tracked points that failed the checks: not labelled")


class KeypointsParams(BaseModel):
    """Tracking keypoints (keypoints/job.py): the objects, and the frames to fill from their key frames."""

    media_id: int
    object_ids: list[int]
    start_frame: int = 0
    end_frame: int
    result: KeypointsResult | None = None


class AutoAnnotateResult(BaseModel):
    detection_frames: int
    detections: int
    tracks: int
    object_ids: list[int]
    frames_written: int


class AutoAnnotateParams(BaseModel):
    """An auto-annotation job: what to find, with which detector, and how its objects get masks."""

    media_id: int
    concept: str
    label_id: int
    detector: str = Field(description='"sam3" or a detector name (built-in "hog-person", or a plug-in)')
    every: int = Field(ge=1, description="Detect on every N-th frame; boxes are interpolated between")
    threshold: float = Field(ge=0.0, le=1.0, description="Detections scoring below are dropped")
    mask_model: str | None = Field(default=None, description="Segmenting model for masks; null: the box itself")
    result: AutoAnnotateResult | None = None


JobParams = PropagateParams | DownloadModelParams | ExportParams | KeypointsParams | AutoAnnotateParams
PARAMS_BY_KIND: dict[JobKind, type[JobParams]] = {
    JobKind.propagate: PropagateParams,
    JobKind.download_model: DownloadModelParams,
    JobKind.export: ExportParams,
    JobKind.keypoints: KeypointsParams,
    JobKind.auto_annotate: AutoAnnotateParams,
}


def parse_params(kind: JobKind, raw: Mapping[str, Any]) -> JobParams:
    """A job row's params as its kind's model (ValueError for a kind that takes none)."""
    model = PARAMS_BY_KIND.get(kind)
    if model is None:
        raise ValueError(f"Jobs of kind {kind.value} carry no params")
    return model.model_validate(dict(raw))


def propagate_params(job: Job) -> PropagateParams:
    params = parse_params(job.kind, job.params)
    if not isinstance(params, PropagateParams):
        raise ValueError(f"Job {job.id} is a {job.kind.value} job, not a tracking job")
    return params


def store_params(job: Job, params: JobParams) -> None:
    """Write typed params back into the row (a new dict, so that SQLAlchemy sees the change)."""
    job.params = params.model_dump(mode="json")


# --- the API's view of a job: its params typed by its kind ----------------------------------------
class JobPublicBase(BaseModel):
    id: int
    project_id: int | None
    media_id: int | None
    status: JobStatus
    progress_done: int
    progress_total: int
    error: str | None
    # Which queue holds it, how many times a worker took it up (a third failure ends it) and who
    # runs it now (a worker's name in broker mode, the API process's otherwise).
    queue: str
    attempts: int
    worker: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class PropagateJobPublic(JobPublicBase):
    kind: Literal[JobKind.propagate]
    params: PropagateParams


class DownloadModelJobPublic(JobPublicBase):
    kind: Literal[JobKind.download_model]
    params: DownloadModelParams


class ExportJobPublic(JobPublicBase):
    kind: Literal[JobKind.export]
    params: ExportParams


class KeypointsJobPublic(JobPublicBase):
    kind: Literal[JobKind.keypoints]
    params: KeypointsParams


class AutoAnnotateJobPublic(JobPublicBase):
    kind: Literal[JobKind.auto_annotate]
    params: AutoAnnotateParams


AnyJobPublic = (
    PropagateJobPublic | DownloadModelJobPublic | ExportJobPublic | KeypointsJobPublic | AutoAnnotateJobPublic
)


class JobPublic(RootModel[Annotated[AnyJobPublic, Field(discriminator="kind")]]):
    """A job, its params typed by its ``kind`` (one named schema for the generated client)."""
