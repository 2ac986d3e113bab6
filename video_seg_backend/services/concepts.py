"""Concept prompts: a few words on a frame; SAM 3 finds every instance and each becomes an object.

Each instance's mask is stored as a key frame of its object with the source ``imported`` (a mask that
came from outside the click engines, which they replay as it is): tracking then runs from it with
whichever click model the studio uses, and a click on that frame refines it (the mask becomes the
base the prompts correct), as for any imported mask.
"""

from __future__ import annotations

from typing import Annotated

import annotated_types
from pydantic import Field
from sqlmodel import Session, SQLModel, func, select

from video_seg_backend.core.validation import LABEL_NAME_MAX
from video_seg_backend.events import ObjectsUpdated
from video_seg_backend.models import AnnotationSource, Index, Media, ObjectPublic, RequestModel, TrackedObject
from video_seg_backend.services.auto_annotate import resolve_label
from video_seg_backend.services.crud import objects_public, upsert_mask
from video_seg_backend.services.errors import ModelUnavailable, PromptError
from video_seg_backend.services.segmentation import SegmentationService


class ConceptRequest(RequestModel):
    """What to find on the frame, and the label its instances get."""

    text: str = Field(min_length=1, max_length=LABEL_NAME_MAX, description='A few words: "person", "red car"')
    label_id: Index | None = Field(
        default=None, description="The label of the objects; default: the project's label named like the text"
    )
    threshold: Annotated[float, annotated_types.Interval(ge=0.0, le=1.0)] = Field(
        default=0.5, description="Instances scoring below this are left out (scores lie in [0, 1])"
    )


class ConceptResult(SQLModel):
    model: str
    text: str
    label_id: int
    frame_index: int
    objects: list[ObjectPublic] = Field(description="One object per instance found, best score first")
    scores: list[float]


def prompt_concept(
    seg: SegmentationService, session: Session, media: Media, frame_index: int, body: ConceptRequest
) -> ConceptResult:
    """Find ``body.text`` on the frame and make an object of each instance (PromptError: 422,
    ModelUnavailable: SAM 3 cannot run here, LookupError: the label is not the project's)."""
    if frame_index >= media.num_frames:
        raise PromptError(f"Frame {frame_index} is out of range: this media has frames 0..{media.num_frames - 1}.")
    try:
        engine = seg.registry.concept_engine()
    except ValueError as exc:
        raise ModelUnavailable(str(exc)) from exc
    try:
        text = engine.check_prompt(body.text)
    except ValueError as exc:
        raise PromptError(str(exc)) from exc
    label, _ = resolve_label(session, media, body.label_id, text)
    instances = engine.find(seg.frames(media).read_rgb(frame_index), text, body.threshold)
    media_id = media.id or 0
    last = session.exec(select(func.max(TrackedObject.track_id)).where(TrackedObject.media_id == media_id)).one()
    rows = [
        TrackedObject(media_id=media_id, label_id=label.id or 0, track_id=(last or 0) + k)
        for k in range(1, len(instances) + 1)
    ]
    session.add_all(rows)
    session.flush()
    for row, instance in zip(rows, instances, strict=True):
        upsert_mask(
            session, media_id, row.id or 0, frame_index, instance.mask, AnnotationSource.imported, instance.score
        )
    session.commit()
    object_ids = [row.id or 0 for row in rows]
    if object_ids:
        seg.forget_media(media_id)  # new key frames: the click engines replay them
        seg.events.publish(media.project_id, ObjectsUpdated(media_id=media_id, object_ids=object_ids))
        seg.publish_updated(media, object_ids, [frame_index, frame_index])
    for row in rows:
        session.refresh(row)
    return ConceptResult(
        model=engine.key, text=text, label_id=label.id or 0, frame_index=frame_index,
        objects=objects_public(session, media_id, rows), scores=[i.score for i in instances],
    )  # fmt: skip
