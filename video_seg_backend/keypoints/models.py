"""The keypoint API's request and response shapes (the table is ``models.Keypoint``)."""

from __future__ import annotations

from typing import Annotated, Literal

import annotated_types
from pydantic import Field, WithJsonSchema
from sqlmodel import SQLModel

from video_seg_backend.core.validation import INT_MAX
from video_seg_backend.models import Index, Int, RequestModel

# COCO's visibility; bounded like every integer the API reads (a Literal alone carries no maximum).
Visibility = Annotated[
    Literal[0, 1, 2], WithJsonSchema({"type": "integer", "enum": [0, 1, 2], "minimum": 0, "maximum": 2})
]
KeypointSource = Literal["key", "tracked"]


class PointIn(RequestModel):
    """One point in source pixels; visibility as COCO: 0 not labelled, 1 occluded, 2 visible."""

    x: float = 0
    y: float = 0
    visibility: Visibility = 2


class FrameKeypointsIn(RequestModel):
    """All of an object's points on a frame, in the order of its label's keypoints."""

    points: list[PointIn] = Field(min_length=1, max_length=1000)
    source: KeypointSource = "key"


class RangeFrameIn(FrameKeypointsIn):
    frame_index: Index


class RangeKeypointsIn(RequestModel):
    """Several frames at once (an import, or an undo putting frames back)."""

    frames: list[RangeFrameIn] = Field(min_length=1, max_length=100_000)


class PointPublic(SQLModel):
    x: float
    y: float
    visibility: int


class FrameKeypoints(SQLModel):
    frame_index: int
    source: KeypointSource = Field(description='"key" when a person placed (or imported) the frame\'s points')
    points: list[PointPublic]


class ObjectKeypoints(SQLModel):
    object_id: int
    names: list[str]
    edges: list[list[str]]
    frames: list[FrameKeypoints]


class TrackKeypointsRequest(RequestModel):
    object_ids: list[Int] | None = Field(
        default=None,
        min_length=1,
        description="Objects to track; every one with keypoint key frames when omitted",
    )
    start_frame: Index = 0
    end_frame: Annotated[int, annotated_types.Interval(ge=0, le=INT_MAX)] | None = Field(
        default=None, description="Last frame to fill (inclusive); the video's last when omitted"
    )
