"""Tables and their API shapes. A model family per table: Base, Create, Update, table, Public."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

import annotated_types
import sqlalchemy as sa
from pydantic import AfterValidator, ConfigDict, Discriminator, RootModel, Tag, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from video_seg_backend.core.validation import (
    HEX_COLOR,
    INT_MAX,
    LABEL_NAME_MAX,
    PROJECT_NAME_MAX,
    clean_name,
)
from video_seg_backend.keypoints.schema import LabelStructure


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class MediaType(str, enum.Enum):
    image = "image"
    video = "video"


class MediaStatus(str, enum.Enum):
    processing = "processing"
    ready = "ready"
    failed = "failed"


class AnnotationSource(str, enum.Enum):
    prompt = "prompt"
    propagated = "propagated"
    imported = "imported"
    edited = "edited"


# A key frame is a mask a person made: clicked, imported or edited. The studio's timelines, the
# engine's replay and every export read this one set (the values compare equal to plain strings).
KEY_FRAME_SOURCES = frozenset({AnnotationSource.prompt, AnnotationSource.imported, AnnotationSource.edited})


class JobKind(str, enum.Enum):
    propagate = "propagate"
    export = "export"  # a dataset ZIP written on the server (jobs/export.py)
    # No import job is ever created (imports run in the request). It stays because the column type
    # lists the names: PostgreSQL's native ``jobkind`` enum and the baseline carry it.
    import_ = "import"
    download_model = "download-model"
    keypoints = "keypoints"  # tracking an object's keypoints from its key frames (keypoints/)
    auto_annotate = "auto-annotate"


class JobStatus(str, enum.Enum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    canceled = "canceled"


# --- what requests may carry ----------------------------------------------------------------
# Every integer a request carries (path, query, body) is an Int or an Index: bounded, so that an id
# like 2**64 is a 422 that says so, not an overflow in the database driver (a 500).
Int = Annotated[int, annotated_types.Interval(ge=-INT_MAX, le=INT_MAX)]
Index = Annotated[int, annotated_types.Interval(ge=0, le=INT_MAX)]


def _hex_color(value: str) -> str:
    if not HEX_COLOR.match(value):
        raise ValueError("color must be a hex colour like #1f77b4")
    return value.lower()


ProjectName = Annotated[
    str, Field(min_length=1, max_length=PROJECT_NAME_MAX), AfterValidator(lambda v: clean_name(v, PROJECT_NAME_MAX))
]
LabelName = Annotated[
    str, Field(min_length=1, max_length=LABEL_NAME_MAX), AfterValidator(lambda v: clean_name(v, LABEL_NAME_MAX))
]
Color = Annotated[str, Field(description="Hex colour #rrggbb"), AfterValidator(_hex_color)]


class RequestModel(SQLModel):
    """A request body: NaN and infinity (which Python's JSON reader accepts) are refused, and so is
    a field the body does not have (a misspelt ``"nam"`` would otherwise change nothing, silently)."""

    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")  # type: ignore[assignment]


# --- projects ------------------------------------------------------------------------------------
class ProjectBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    media_type: MediaType = MediaType.video


class ProjectCreate(RequestModel):
    name: ProjectName
    media_type: MediaType = MediaType.video


class ProjectUpdate(RequestModel):
    # Optional, not nullable: leave it out to keep the name; null is refused (the column is NOT NULL).
    name: ProjectName = Field(default=None)


class Project(ProjectBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)


class ProjectPublic(ProjectBase):
    id: int
    created_at: datetime
    media_count: int = 0
    label_count: int = 0


# --- labels --------------------------------------------------------------------------------------
class LabelBase(SQLModel):
    name: str = Field(min_length=1, max_length=LABEL_NAME_MAX)
    color: str = Field(default="#ff6b6b", description="Hex colour #rrggbb")


class LabelCreate(RequestModel):
    name: LabelName
    color: Color = "#ff6b6b"


class LabelUpdate(RequestModel):
    # Optional, not nullable: leave a field out to keep it.
    name: LabelName = Field(default=None)
    color: Color = Field(default=None)


class Label(LabelBase, table=True):
    __table_args__ = (UniqueConstraint("project_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    # Named keypoints, skeleton edges and parts (keypoints/schema.py reads and checks it); None: none.
    structure: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class LabelPublic(LabelBase):
    id: int
    project_id: int
    structure: LabelStructure | None = Field(
        default=None, description="Keypoints, skeleton edges (pairs of names) and parts; null when none"
    )


# --- media ---------------------------------------------------------------------------------------
class Media(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    kind: MediaType
    name: str  # the uploaded file name, for display only: never used as a path
    storage_key: str = Field(unique=True)  # folder under data/media/<project>/
    original_file: str  # file name inside that folder
    content_type: str
    size_bytes: int
    width: int = 0
    height: int = 0
    num_frames: int = 0
    fps: float | None = None
    status: MediaStatus = MediaStatus.processing
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class MediaPublic(SQLModel):
    id: int
    project_id: int
    kind: MediaType
    name: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    num_frames: int
    fps: float | None
    status: MediaStatus
    error: str | None
    created_at: datetime
    annotated_frames: int = 0
    object_count: int = 0


# --- objects -------------------------------------------------------------------------------------
class ObjectCreate(RequestModel):
    # Required for an object; a part (``parent_id``) takes its parent's label, so it may leave it out.
    label_id: Int | None = None
    name: LabelName | None = None
    # None: the next free one. Given: that one (an undone deletion brings its object back as it was).
    track_id: Annotated[int, annotated_types.Interval(ge=1, le=INT_MAX)] | None = None
    # A part region of this object of the same media item; ``part`` names it from the parent label's parts.
    parent_id: Int | None = None
    part: LabelName | None = None


class ObjectUpdate(RequestModel):
    label_id: Int = Field(default=None)  # optional, not nullable: every object has a label
    name: LabelName | None = None  # null clears the name


class TrackedObject(SQLModel, table=True):
    __tablename__ = "object"
    __table_args__ = (UniqueConstraint("media_id", "track_id"),)
    id: int | None = Field(default=None, primary_key=True)
    media_id: int = Field(foreign_key="media.id", index=True, ondelete="CASCADE")
    label_id: int = Field(foreign_key="label.id", index=True)
    track_id: int  # 1..N within the media item: DAVIS palette index, CVAT track id
    name: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # A part region (shaft, gripper) belongs to its parent object and goes with it.
    parent_id: int | None = Field(default=None, foreign_key="object.id", index=True, ondelete="CASCADE")
    part: str | None = None  # the part's name in the label's structure (set exactly when parent_id is)


class ObjectPublic(SQLModel):
    id: int
    media_id: int
    label_id: int
    track_id: int
    name: str | None
    key_frames: list[int] = []
    annotated_frames: int = 0
    parent_id: int | None = None
    part: str | None = None


# --- prompts -------------------------------------------------------------------------------------
class PromptKind(str, enum.Enum):
    point = "point"
    box = "box"


class PromptCreateBase(RequestModel):
    object_id: Int
    frame_index: Index
    model: str | None = None


def _require(data: Any, fields: tuple[str, ...], message: str) -> Any:
    """A prompt without its coordinates is refused with a sentence that names them."""
    if isinstance(data, dict) and any(data.get(f) is None for f in fields):
        raise PydanticCustomError("missing_coordinates", message)
    return data


class PointPromptCreate(PromptCreateBase):
    """A click in source pixels; ``positive`` false marks background."""

    kind: Literal["point"] = "point"  # the default: a body without ``kind`` is a point
    x: float
    y: float
    positive: bool = True

    @model_validator(mode="before")
    @classmethod
    def _has_xy(cls, data: Any) -> Any:
        return _require(data, ("x", "y"), "A point prompt needs x and y in source pixels.")


class BoxPromptCreate(PromptCreateBase):
    """A box by two corners in source pixels (any two opposite corners)."""

    kind: Literal["box"]
    x0: float
    y0: float
    x1: float
    y1: float
    positive: Literal[True] = True  # a box always says where the object is

    @model_validator(mode="before")
    @classmethod
    def _has_corners(cls, data: Any) -> Any:
        return _require(data, ("x0", "y0", "x1", "y1"), "A box prompt needs x0, y0, x1 and y1 in source pixels.")


def _prompt_kind(data: Any) -> str:
    return str(data.get("kind") or "point") if isinstance(data, dict) else str(getattr(data, "kind", "point"))


class PromptCreate(
    RootModel[
        Annotated[
            Annotated[PointPromptCreate, Tag("point")] | Annotated[BoxPromptCreate, Tag("box")],
            Discriminator(
                _prompt_kind, custom_error_type="prompt_kind", custom_error_message="kind must be 'point' or 'box'"
            ),
        ]
    ]
):
    """A point or a box (``root``): one named schema, so the generated client has one exact type."""


class Prompt(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    media_id: int = Field(foreign_key="media.id", index=True, ondelete="CASCADE")
    object_id: int = Field(foreign_key="object.id", index=True, ondelete="CASCADE")
    frame_index: int = Field(index=True)
    kind: PromptKind
    x: float | None = None
    y: float | None = None
    positive: bool = True
    x0: float | None = None
    y0: float | None = None
    x1: float | None = None
    y1: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


class PromptPublic(SQLModel):
    id: int
    object_id: int
    frame_index: int
    kind: PromptKind
    x: float | None
    y: float | None
    positive: bool
    x0: float | None
    y0: float | None
    x1: float | None
    y1: float | None


# --- annotations (masks) -------------------------------------------------------------------------
class Annotation(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("object_id", "frame_index"),)
    id: int | None = Field(default=None, primary_key=True)
    media_id: int = Field(foreign_key="media.id", index=True, ondelete="CASCADE")
    object_id: int = Field(foreign_key="object.id", index=True, ondelete="CASCADE")
    frame_index: int = Field(index=True)
    height: int
    width: int
    rle_counts: str  # COCO compressed RLE (pycocotools), column-major as COCO defines it
    bbox_x: float = 0
    bbox_y: float = 0
    bbox_w: float = 0
    bbox_h: float = 0
    area: int = 0
    source: AnnotationSource
    score: float | None = None
    # On a key frame corrected from a tracked (or imported) mask: that mask, which the prompts
    # refine. Replay needs it to rebuild the same mask; removing the last prompt restores it.
    base_rle_counts: str | None = None
    base_source: AnnotationSource | None = None
    updated_at: datetime = Field(default_factory=utcnow)
    # A tracked mask's confidence in [0, 1] (review/combination.py); None on masks a person made.
    confidence: float | None = None
    # A person looked at this tracked mask and accepted it: it leaves the review queue until re-tracked.
    reviewed: bool = False
    # A tracked mask: the key frame it was tracked from (migration 0011). Re-tracking from another
    # key frame keeps this mask where it is more confident, while that key frame is unchanged.
    tracked_from: int | None = None


class RLE(SQLModel):
    size: list[Int] = Field(min_length=2, max_length=2, description="[height, width]")
    counts: str


class AnnotationPublic(SQLModel):
    id: int
    object_id: int
    frame_index: int
    rle: RLE
    bbox: list[float]  # [x, y, w, h]
    area: int
    source: AnnotationSource
    score: float | None
    confidence: float | None = Field(default=None, description="A tracked mask's confidence in [0, 1]")
    # On a key frame whose first click corrected a tracked or imported mask: that mask, which the
    # prompts refine and which comes back when the frame's last prompt is removed.
    base_rle: RLE | None = None
    base_source: AnnotationSource | None = None


class AnnotationIn(RequestModel):
    """A mask to store as is (restoring after an undo, or a mask edited by hand)."""

    object_id: Int
    frame_index: Index
    rle: RLE
    source: AnnotationSource = AnnotationSource.edited
    score: float | None = None
    # Given (even as null): the mask the frame's prompts refine, as AnnotationPublic answers it;
    # left out: the stored one is kept.
    base_rle: RLE | None = None
    base_source: AnnotationSource | None = None


class ObjectFrames(SQLModel):
    """Which frames of an object hold a mask, as inclusive ranges, without the masks themselves."""

    object_id: int
    ranges: list[list[int]]  # [[start, end], ...] of frames with a non-empty mask
    key_frames: list[int]
    areas: list[int] = Field(
        default_factory=list,
        description="Mask area (pixels) on each frame of the ranges, in order: a mask the tracker shrank to a speck "
        "shows here, where the ranges still count the frame as covered",
    )


class PromptResult(SQLModel):
    """A prompt added or removed, and the object's recomputed mask on that frame."""

    prompt: PromptPublic | None
    annotation: AnnotationPublic | None


# --- keypoints -----------------------------------------------------------------------------------
class Keypoint(SQLModel, table=True):
    """One named point of an object on one frame (``point``: its index in the label's keypoints).
    Visibility as COCO has it: 0 not labelled, 1 occluded, 2 visible."""

    __table_args__ = (UniqueConstraint("object_id", "frame_index", "point"),)
    id: int | None = Field(default=None, primary_key=True)
    media_id: int = Field(foreign_key="media.id", index=True, ondelete="CASCADE")
    object_id: int = Field(foreign_key="object.id", index=True, ondelete="CASCADE")
    frame_index: int = Field(index=True)
    point: int
    x: float = 0
    y: float = 0
    visibility: int = 0
    source: str = Field(default="key", max_length=16)  # "key" (a person's, or imported) or "tracked"


# --- jobs ----------------------------------------------------------------------------------------
class Job(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True, ondelete="CASCADE")
    media_id: int | None = Field(default=None, foreign_key="media.id", ondelete="CASCADE")
    kind: JobKind
    status: JobStatus = Field(default=JobStatus.queued, index=True)  # the reapers look jobs up by status
    progress_done: int = 0
    progress_total: int = 0
    error: str | None = None
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # The row is the truth whichever runner runs it (jobs/runner.py): a broker message only says
    # "run job N"; the runner claims the row, heartbeats, and a stale heartbeat means a dead runner.
    queue: str = Field(default="tracking", max_length=200)  # "tracking", "tracking.<worker>" or "io"
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=200)
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False
    # Tracking jobs: the last frame written per run (its index as a string), committed with that
    # frame's masks, so a second attempt resumes right after it.
    checkpoint: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON))


class TrackingChange(SQLModel, table=True):
    """One object's mask on one frame as it was before a tracking job wrote there (no
    ``rle_counts``: there was none), so the job can be undone; undoing swaps in the mask the job
    wrote, so redo puts it back. Kept for the last few tracking jobs of each media item."""

    __tablename__ = "tracking_change"
    id: int | None = Field(default=None, primary_key=True)
    job_id: int = Field(foreign_key="job.id", index=True, ondelete="CASCADE")
    object_id: int = Field(foreign_key="object.id", index=True, ondelete="CASCADE")
    frame_index: int
    rle_counts: str | None = None
    source: AnnotationSource | None = None
    score: float | None = None
    base_rle_counts: str | None = None
    base_source: AnnotationSource | None = None
    # The mask's confidence and review state go back with it (migration 0010), and where it was
    # tracked from (0011).
    confidence: float | None = None
    reviewed: bool = False
    tracked_from: int | None = None


class PropagateRequest(RequestModel):
    object_ids: list[Int] | None = Field(
        default=None, min_length=1, description="Objects to track; all when omitted (an empty list is refused)"
    )
    start_frame: Index | None = Field(
        default=0, description="Frame to track from; null tracks the whole video key frame to key frame"
    )
    direction: Literal["forward", "backward", "both"] = "both"
    num_frames: Annotated[int, annotated_types.Interval(ge=1, le=INT_MAX)] | None = Field(
        default=None, description="Track only this many frames each way"
    )
    model: str | None = None
    stop_below: Annotated[float, annotated_types.Interval(ge=0, le=1)] | None = Field(
        default=None, description="Stop each run at the first frame whose mask confidence falls below this"
    )
    keep_confident: bool = Field(
        default=True,
        description="Leave a tracked mask where it is more confident than the new one and the key frame "
        "it was tracked from is unchanged; false replaces every mask the runs reach",
    )


# --- accounts, review and history (teams) ----------------------------------------------------------
class Role(str, enum.Enum):
    admin = "admin"
    annotator = "annotator"
    reviewer = "reviewer"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str | None = Field(default=None, max_length=200)
    role: str = Field(default=Role.annotator.value, max_length=16)
    hashed_password: str
    is_active: bool = True
    # Bumped by logout, a password change or disabling: every token issued before stops working.
    token_version: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class ProjectMember(SQLModel, table=True):
    __tablename__ = "project_member"
    project_id: int = Field(foreign_key="project.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True, ondelete="CASCADE")


class AssignmentState(str, enum.Enum):
    new = "new"
    in_progress = "in_progress"
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"


class Assignment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("media_id", "user_id"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    media_id: int = Field(foreign_key="media.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    state: str = Field(default=AssignmentState.new.value, max_length=16)
    # One of k independent labellings of the item, compared by the consensus report.
    replica: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ReviewComment(SQLModel, table=True):
    __tablename__ = "review_comment"
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True, ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    frame_index: int | None = None
    text: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class HistoryEvent(SQLModel, table=True):
    """Who did what to which item, and when. No foreign keys on the subjects: the record of a
    deleted object or job outlives it."""

    __tablename__ = "history_event"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, index=True)
    media_id: int | None = Field(default=None, index=True)
    object_id: int | None = None
    job_id: int | None = Field(default=None, index=True)
    frame_index: int | None = None
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    username: str | None = Field(default=None, max_length=64)  # kept when the user is deleted
    action: str = Field(max_length=32)  # "prompt.create", "mask.update", "job.create", "review.reject", ...
    detail: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, index=True)


# --- spatio-temporal actions (AVA-style) ------------------------------------------------------------
class ActionClassBase(SQLModel):
    action_id: int = Field(ge=1, description="The id exported to AVA's annotations.csv and label map")
    name: str = Field(min_length=1, max_length=LABEL_NAME_MAX)
    group: str | None = Field(default=None, max_length=64, description="e.g. AVA's label_type PERSON_MOVEMENT")
    exclusive: bool = Field(default=False, description="At most one exclusive action of a group per person-second")


class ActionClassCreate(RequestModel):
    action_id: Annotated[int, annotated_types.Interval(ge=1, le=INT_MAX)]
    name: LabelName
    group: str | None = Field(default=None, min_length=1, max_length=64)
    exclusive: bool = False


class ActionClassUpdate(RequestModel):
    name: LabelName = Field(default=None)
    group: str | None = Field(default=None, min_length=1, max_length=64)
    exclusive: bool = Field(default=None)


class ActionClass(ActionClassBase, table=True):
    __tablename__ = "action_class"
    __table_args__ = (UniqueConstraint("project_id", "action_id"), UniqueConstraint("project_id", "name"))
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")


class ActionClassPublic(ActionClassBase):
    id: int
    project_id: int


class ActionLabel(SQLModel, table=True):
    """The actions one annotator ticked for one person (object) at one keyframe. ``merged`` rows
    are the reviewer's accepted result (majority of the replicas), kept beside the replicas."""

    __tablename__ = "action_label"
    # One row per annotator, person and keyframe (and one merged row): two saves at once must not
    # become two votes. A unique index treats NULLs as distinct, so the local user of a single-user
    # studio (annotator_id NULL) has a partial index of its own.
    __table_args__ = (
        sa.Index("ux_action_label_annotator", "object_id", "frame_index", "annotator_id", "merged", unique=True),
        sa.Index(
            "ux_action_label_local",
            "object_id",
            "frame_index",
            "merged",
            unique=True,
            sqlite_where=sa.text("annotator_id IS NULL"),
            postgresql_where=sa.text("annotator_id IS NULL"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    media_id: int = Field(foreign_key="media.id", index=True, ondelete="CASCADE")
    object_id: int = Field(foreign_key="object.id", index=True, ondelete="CASCADE")
    frame_index: int
    annotator_id: int | None = Field(default=None, foreign_key="user.id", index=True, ondelete="SET NULL")
    merged: bool = False
    actions: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class Clip(SQLModel, table=True):
    """A media item cut from a longer video: its timestamps in exports are the source's."""

    media_id: int = Field(foreign_key="media.id", primary_key=True, ondelete="CASCADE")
    source_media_id: int | None = None  # no foreign key: the clip outlives a deleted source
    source_name: str = Field(max_length=255)
    start_seconds: float = 0


class KeyframeRate(SQLModel, table=True):
    """Keyframes per second for action labelling: per project (media_id null) or per media item."""

    __tablename__ = "keyframe_rate"
    __table_args__ = (UniqueConstraint("project_id", "media_id"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True, ondelete="CASCADE")
    media_id: int | None = Field(default=None, foreign_key="media.id", ondelete="CASCADE")
    hz: float = 1.0
