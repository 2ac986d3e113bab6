"""API shapes of the consensus report and merge."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from video_seg_backend.models import Int, RequestModel


class PairPublic(SQLModel):
    annotator_a: str
    annotator_b: str
    matches: list[tuple[int, int, float]] = Field(description="(object of a, object of b, IoU over the video)")
    unmatched_a: list[int]
    unmatched_b: list[int]
    mean_j: float | None
    mean_f: float | None
    score: float = Field(description="Matched objects' J summed over the mean object count: unmatched ones score 0")


class ConsensusPublic(SQLModel):
    media_id: int
    annotators: list[str]
    pairs: list[PairPublic]
    score: float
    label_alpha: float | None = Field(description="Krippendorff's alpha (nominal) of the labels; null: undefined")
    presence_alpha: float | None = Field(description="Krippendorff's alpha of per-frame presence; null: undefined")
    groups: list[dict[str, int]] = Field(description="Per matched object: annotator -> their object id")


class ConsensusItem(SQLModel):
    media_id: int
    name: str
    annotators: list[str]
    score: float
    label_alpha: float | None
    presence_alpha: float | None


class MergeRequest(RequestModel):
    picks: dict[Int, Int] = Field(
        default_factory=dict, description="Group index -> the user id whose object is taken as is; others by vote"
    )


class MergeResult(SQLModel):
    object_ids: list[int]
