"""API shapes of assignments, review comments and history."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from video_seg_backend.models import AssignmentState, Index, Int, RequestModel


class AssignmentCreate(RequestModel):
    user_ids: list[Int] = Field(min_length=1, max_length=50)
    replica: bool = Field(default=False, description="Independent replicas, compared by the consensus report")


class AssignmentPublic(SQLModel):
    id: int
    project_id: int
    media_id: int
    user_id: int
    username: str
    state: AssignmentState
    replica: bool
    created_at: datetime
    updated_at: datetime


class CommentCreate(RequestModel):
    text: str = Field(min_length=1, max_length=2000)
    frame_index: Index | None = None


class ReviewDecision(RequestModel):
    comment: str | None = Field(default=None, min_length=1, max_length=2000)
    frame_index: Index | None = None


class CommentPublic(SQLModel):
    id: int
    assignment_id: int
    author: str | None
    frame_index: int | None
    text: str
    created_at: datetime


class AnnotatorProgress(SQLModel):
    user_id: int
    username: str
    counts: dict[AssignmentState, int]
    total: int


class HistoryEventPublic(SQLModel):
    id: int
    media_id: int | None
    object_id: int | None
    job_id: int | None
    frame_index: int | None
    user_id: int | None
    username: str | None
    action: str
    detail: str | None
    created_at: datetime


class ObjectAuthors(SQLModel):
    """Who made an object and who last changed it: what an export adds as the annotator."""

    object_id: int
    created_by: str | None
    last_changed_by: str | None
    last_changed_at: datetime | None
