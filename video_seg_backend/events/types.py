"""What the event stream carries: one pydantic model per event type, a union on ``type``.

They are in the OpenAPI document (the events route names the union as its response), so the
studio's generated client types every payload. ``project_id`` is set by the bus on publishing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from video_seg_backend.models import JobKind, JobStatus, MediaStatus


class _Event(BaseModel):
    # Every field is in every payload sent (defaults included): the schema says so, and the
    # generated client types them as always present.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    project_id: int | None = Field(default=None, description="The project whose stream carried it")


class MediaReady(_Event):
    """A media item finished decoding (``ready``) or could not be read (``failed``)."""

    type: Literal["media.ready"] = "media.ready"
    media_id: int
    status: MediaStatus
    error: str | None
    num_frames: int


class MediaDeleted(_Event):
    type: Literal["media.deleted"] = "media.deleted"
    media_id: int
    name: str


class AnnotationsUpdated(_Event):
    """Masks of these objects changed on frames ``frames[0]..frames[1]``; an empty ``object_ids``
    means any object of the media item."""

    type: Literal["annotations.updated"] = "annotations.updated"
    media_id: int
    object_ids: list[int]
    frames: list[int] = Field(min_length=2, max_length=2, description="[first, last] frame, inclusive")


class ObjectsUpdated(_Event):
    """Objects were created, relabelled or deleted; an empty ``object_ids`` means re-read them all."""

    type: Literal["objects.updated"] = "objects.updated"
    media_id: int
    object_ids: list[int]


class JobProgress(_Event):
    type: Literal["job.progress"] = "job.progress"
    job_id: int
    done: int
    total: int
    media_id: int | None = None
    frame: int | None = Field(default=None, description="Tracking: the frame just written")
    frames: list[int] | None = Field(default=None, description="Tracking: [first, last] frame written so far")
    model: str | None = Field(default=None, description="Model download: the model's key")


class JobFinished(_Event):
    type: Literal["job.finished"] = "job.finished"
    job_id: int
    kind: JobKind
    media_id: int | None
    status: JobStatus
    error: str | None
    done: int
    total: int


class Resync(_Event):
    """Events for this stream were dropped (the client read too slowly): re-read everything."""

    type: Literal["resync"] = "resync"


StudioEvent = Annotated[
    MediaReady | MediaDeleted | AnnotationsUpdated | ObjectsUpdated | JobProgress | JobFinished | Resync,
    Field(discriminator="type"),
]
