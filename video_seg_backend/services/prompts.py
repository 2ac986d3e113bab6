"""Clicks and boxes: check a prompt, add it or remove it, and store the object's recomputed mask."""

from __future__ import annotations

import numpy as np
from sqlmodel import Session

from video_seg_backend.models import (
    Annotation,
    AnnotationSource,
    BoxPromptCreate,
    Media,
    PointPromptCreate,
    Prompt,
    PromptKind,
    PromptPublic,
    PromptResult,
)
from video_seg_backend.services.crud import (
    KEY_MASK_SOURCES,
    annotation_on,
    annotation_public,
    prompts_on,
    to_engine_prompt,
    upsert_mask,
)
from video_seg_backend.services.errors import PromptError
from video_seg_backend.services.segmentation import SegmentationService
from video_seg_backend.storage.masks import decode_mask


def validate_prompt(media: Media, body: PointPromptCreate | BoxPromptCreate) -> Prompt:
    """The prompt as a row to store, in the frame's bounds; PromptError says what is wrong."""
    if body.frame_index >= media.num_frames:
        raise PromptError(f"Frame {body.frame_index} is out of range: this media has frames 0..{media.num_frames - 1}.")
    w, h = media.width, media.height
    media_id, object_id, frame_index = media.id or 0, body.object_id, body.frame_index
    if isinstance(body, PointPromptCreate):
        if not (0 <= body.x < w and 0 <= body.y < h):
            raise PromptError(f"Point ({body.x}, {body.y}) is outside the {w}x{h} frame.")
        return Prompt(media_id=media_id, object_id=object_id, frame_index=frame_index, kind=PromptKind.point,
                      x=body.x, y=body.y, positive=body.positive)  # fmt: skip
    # Corners first, then the frame: a box drawn right to left has x0 > x1, and clamping before
    # sorting would cut it down to nothing.
    x0, x1 = sorted((body.x0, body.x1))
    y0, y1 = sorted((body.y0, body.y1))
    x0, x1 = max(0.0, x0), min(float(w), x1)
    y0, y1 = max(0.0, y0), min(float(h), y1)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise PromptError(f"The box must be at least 2x2 pixels inside the {w}x{h} frame.")
    return Prompt(media_id=media_id, object_id=object_id, frame_index=frame_index, kind=PromptKind.box,
                  x0=x0, y0=y0, x1=x1, y1=y1, positive=True)  # fmt: skip


def add_prompt(seg: SegmentationService, media: Media, body: PointPromptCreate | BoxPromptCreate) -> PromptResult:
    new = validate_prompt(media, body)
    with Session(seg.db) as session:
        existing = prompts_on(session, body.object_id, body.frame_index)
        current = annotation_on(session, body.object_id, body.frame_index)
    base_counts, base_source = _base_for_new_prompt(current, has_prompts=bool(existing))
    base = decode_mask(base_counts, media.height, media.width) if base_counts else None
    engine, state = seg.engine_session(media, body.model)
    try:
        prompts = [to_engine_prompt(p) for p in [*existing, new]]
        result = engine.segment(state, body.frame_index, body.object_id, prompts, base)
    except ValueError as exc:
        raise PromptError(str(exc)) from exc
    with Session(seg.db) as session:
        session.add(new)
        ann = upsert_mask(session, media.id or 0, body.object_id, body.frame_index, result.mask,
                          AnnotationSource.prompt, result.score)  # fmt: skip
        ann.base_rle_counts, ann.base_source = base_counts, base_source
        session.commit()
        session.refresh(new)
        session.refresh(ann)
        out = PromptResult(prompt=PromptPublic.model_validate(new), annotation=annotation_public(ann))
    seg.publish_updated(media, [body.object_id], [body.frame_index])
    return out


def _base_for_new_prompt(current: Annotation | None, has_prompts: bool) -> tuple[str | None, AnnotationSource | None]:
    """The first click on a frame that already holds a mask (tracked or imported) corrects that
    mask: it becomes the base the prompts refine, as a person expects when fixing drift."""
    if current is None:
        return None, None
    if current.base_rle_counts:
        return current.base_rle_counts, current.base_source
    if not has_prompts and current.source != AnnotationSource.prompt and current.area > 0:
        return current.rle_counts, current.source
    return None, None


def delete_prompt(seg: SegmentationService, media: Media, prompt: Prompt, model: str | None = None) -> PromptResult:
    """Remove a prompt and recompute the mask; without prompts left, the frame goes back to the
    mask it was corrected from (if any) or to no mask."""
    with Session(seg.db) as session:
        remaining = [p for p in prompts_on(session, prompt.object_id, prompt.frame_index) if p.id != prompt.id]
        current = annotation_on(session, prompt.object_id, prompt.frame_index)
    base_counts = current.base_rle_counts if current is not None else None
    base_source = current.base_source if current is not None else None
    base = decode_mask(base_counts, media.height, media.width) if base_counts else None
    engine, state = seg.engine_session(media, model)
    prompts = [to_engine_prompt(p) for p in remaining]
    result = engine.segment(state, prompt.frame_index, prompt.object_id, prompts, base if prompts else None)
    if not prompts and base is not None and base_source in KEY_MASK_SOURCES:
        engine.set_mask(state, prompt.frame_index, prompt.object_id, base)  # it was a key frame itself
    with Session(seg.db) as session:
        row = session.get(Prompt, prompt.id)
        if row is not None:
            session.delete(row)
        ann = _mask_after_removal(session, media, prompt, current, result.mask if prompts else None,
                                  result.score, base, base_source)  # fmt: skip
        session.commit()
        ann_public = None
        if ann is not None:
            session.refresh(ann)
            ann_public = annotation_public(ann)
    seg.publish_updated(media, [prompt.object_id], [prompt.frame_index])
    return PromptResult(prompt=None, annotation=ann_public)


def _mask_after_removal(
    session: Session,
    media: Media,
    prompt: Prompt,
    current: Annotation | None,
    segmented: np.ndarray | None,
    score: float | None,
    base: np.ndarray | None,
    base_source: AnnotationSource | None,
) -> Annotation | None:
    """The frame's mask once a prompt is gone: what the remaining prompts give, else the mask the
    prompts corrected, else none."""
    media_id, object_id, frame = media.id or 0, prompt.object_id, prompt.frame_index
    if segmented is not None:
        return upsert_mask(session, media_id, object_id, frame, segmented, AnnotationSource.prompt, score)
    if base is not None and base_source is not None:
        ann = upsert_mask(session, media_id, object_id, frame, base, base_source, None)
        ann.base_rle_counts, ann.base_source = None, None
        return ann
    if current is not None:
        session.delete(session.merge(current))
    return None
