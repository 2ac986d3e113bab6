"""What the review-queue API answers and accepts."""

from __future__ import annotations

from typing import Annotated

import annotated_types
from pydantic import Field
from sqlmodel import SQLModel

from video_seg_backend.models import Index, Int, RequestModel


class DoubtfulMask(SQLModel):
    object_id: int
    confidence: float


class ReviewFrame(SQLModel):
    """A frame to look at: its least confident tracked mask leads the order."""

    frame_index: int
    confidence: float = Field(description="The lowest confidence of the frame's doubtful masks")
    objects: list[DoubtfulMask]


class ReviewQueue(SQLModel):
    below: float = Field(description="Tracked masks under this confidence are queued")
    frames: list[ReviewFrame] = Field(description="Frames to review, most doubtful first")
    remaining: int = Field(description="How many frames are left to review")
    reviewed: int = Field(description="Tracked masks a person accepted")


class MediaToReview(SQLModel):
    """One media item's share of the project's queue."""

    media_id: int
    remaining: int = Field(description="Its frames to review")
    frame_index: int = Field(description="Its most doubtful frame")
    confidence: float = Field(description="The lowest confidence there")


class ProjectReviewFrame(ReviewFrame):
    media_id: int


class ProjectReviewQueue(SQLModel):
    below: float = Field(description="Tracked masks under this confidence are queued")
    remaining: int = Field(description="Frames to review in all the project's media")
    media: list[MediaToReview] = Field(description="Media items with frames to review, most doubtful first")
    frames: list[ProjectReviewFrame] = Field(
        description="The most doubtful frames of all the project's media, most doubtful first (at most limit)"
    )


class ReviewAccept(RequestModel):
    """Accept the tracked masks of a frame as right: they leave the queue until tracked again."""

    frame_index: Index
    object_ids: Annotated[list[Int], annotated_types.MinLen(1)] | None = Field(
        default=None, description="Only these objects' masks; all of the frame's when omitted"
    )
