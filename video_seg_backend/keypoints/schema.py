"""A label's structure: named keypoints, skeleton edges between them, named parts; and templates.

Stored as JSON on the label (``Label.structure``); every write goes through ``LabelStructure``, so a
stored structure always has unique names and edges between points it has.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from video_seg_backend.core.validation import LABEL_NAME_MAX, clean_name

# COCO's own limit is none; 100 keeps a request (and a studio's list) of a sane size.
MAX_POINTS = 100
MAX_PARTS = 50

PointName = Annotated[
    str, Field(min_length=1, max_length=LABEL_NAME_MAX), AfterValidator(lambda v: clean_name(v, LABEL_NAME_MAX))
]


def _duplicates(names: list[str]) -> list[str]:
    seen: set[str] = set()
    return sorted({n for n in names if n in seen or seen.add(n)})  # type: ignore[func-returns-value]


class LabelStructure(BaseModel):
    """What an instance of a label carries besides its mask. Edges are pairs of keypoint names."""

    model_config = ConfigDict(extra="forbid")

    keypoints: list[PointName] = Field(default=[], max_length=MAX_POINTS)
    edges: list[Annotated[list[PointName], Field(min_length=2, max_length=2)]] = Field(
        default=[], description="Skeleton edges as pairs of keypoint names"
    )
    parts: list[PointName] = Field(default=[], max_length=MAX_PARTS)

    @model_validator(mode="after")
    def _consistent(self) -> LabelStructure:
        if dup := _duplicates(self.keypoints):
            raise ValueError(f"keypoint names must be unique: {', '.join(dup)} repeated")
        if dup := _duplicates(self.parts):
            raise ValueError(f"part names must be unique: {', '.join(dup)} repeated")
        known = set(self.keypoints)
        seen: set[frozenset[str]] = set()
        for a, b in self.edges:
            missing = [n for n in (a, b) if n not in known]
            if missing:
                raise ValueError(f"edge {a}-{b} refers to {', '.join(repr(m) for m in missing)}, not a keypoint")
            if a == b:
                raise ValueError(f"edge {a}-{b} joins a point to itself")
            if frozenset((a, b)) in seen:
                raise ValueError(f"edge {a}-{b} is listed twice")
            seen.add(frozenset((a, b)))
        return self

    @property
    def empty(self) -> bool:
        return not self.keypoints and not self.parts

    def edge_indices(self) -> list[tuple[int, int]]:
        index = {name: i for i, name in enumerate(self.keypoints)}
        return [(index[a], index[b]) for a, b in self.edges]


def structure_of(raw: dict | None) -> LabelStructure:
    """A stored structure (or none) as the model; stored ones were checked when written."""
    return LabelStructure.model_validate(raw or {})


class StructureTemplate(BaseModel):
    key: str
    name: str
    structure: LabelStructure


_COCO_PERSON = [
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
]  # fmt: skip
# COCO's person skeleton (1-based in the annotation files), as names.
_COCO_SKELETON = [
    (16, 14), (14, 12), (17, 15), (15, 13), (12, 13), (6, 12), (7, 13), (6, 7), (6, 8), (7, 9),
    (8, 10), (9, 11), (2, 3), (1, 2), (1, 3), (2, 4), (3, 5), (4, 6), (5, 7),
]  # fmt: skip

TEMPLATES = [
    StructureTemplate(
        key="coco-person",
        name="Person (COCO 17 keypoints)",
        structure=LabelStructure(
            keypoints=_COCO_PERSON,
            edges=[[_COCO_PERSON[a - 1], _COCO_PERSON[b - 1]] for a, b in _COCO_SKELETON],
        ),
    ),
    StructureTemplate(
        key="tool",
        name="Tool (tip, joint, shaft end; shaft, wrist, gripper parts)",
        structure=LabelStructure(
            keypoints=["tip", "joint", "shaft_end"],
            edges=[["tip", "joint"], ["joint", "shaft_end"]],
            parts=["shaft", "wrist", "gripper"],
        ),
    ),
]
