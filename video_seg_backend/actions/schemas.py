"""Request and response shapes of the actions API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import annotated_types
from pydantic import BaseModel, Field

from video_seg_backend.models import Index, Int, RequestModel

ActionId = Annotated[int, annotated_types.Interval(ge=1, le=2**31 - 1)]


class ActionLabelIn(RequestModel):
    object_id: Int
    frame_index: Index = Field(description="A keyframe of the media item (GET .../keyframes)")
    actions: list[ActionId] = Field(max_length=200, description="Action ids ticked; empty: none of them")


class ActionLabelPublic(BaseModel):
    object_id: int
    frame_index: int
    actions: list[int]
    annotator: str
    merged: bool
    updated_at: datetime


class KeyframePublic(BaseModel):
    frame_index: int
    seconds: float
    source_seconds: float


class KeyframesPublic(BaseModel):
    hz: float
    fps: float
    video_id: str
    start_seconds: float
    keyframes: list[KeyframePublic]


class KeyframeRateIn(RequestModel):
    hz: float = Field(gt=0, le=30, description="Keyframes per second (AVA: 1)")
    media_id: Int | None = Field(default=None, description="One media item; the whole project when left out")


class VocabularyImported(BaseModel):
    created: int
    replaced: int


class ActionKappa(BaseModel):
    action_id: int
    name: str
    kappa: float | None


class PairAgreementPublic(BaseModel):
    annotator_a: str
    annotator_b: str
    matched: int
    unmatched_a: int
    unmatched_b: int
    mean_box_iou: float | None
    kappa: float | None
    per_action: list[ActionKappa]


class AgreementPublic(BaseModel):
    media_id: int
    annotators: list[str]
    persons: int = Field(description="Persons at keyframes across annotators (matched by box IoU >= 0.5)")
    kappa: float | None = Field(description="Fleiss' kappa over all annotators, mean over the actions used")
    per_action: list[ActionKappa]
    pairs: list[PairAgreementPublic]
    method: str


class QcItem(BaseModel):
    media_id: int
    name: str
    annotators: list[str]
    kappa: float | None


class MergedPublic(BaseModel):
    persons: int


class ClipRequest(RequestModel):
    seconds: float = Field(default=15, ge=1, le=3600, description="Length of each clip")


class AvaImported(BaseModel):
    persons: int
    labels: int
    masks: int


class SplitRequest(RequestModel):
    frame_index: Index = Field(description="The new person takes this frame and every later one")


class PersonMergeRequest(RequestModel):
    into_object_id: Int = Field(description="The person that remains (keeps its label and track id)")
