"""Part regions: an object's shaft or gripper, an object itself (prompted and tracked as one) whose
parent is another object of the same media item and whose mask stays inside the parent's.

A part takes its parent's label and a name from that label's structure (``parts``), so an export can
call it "tool/shaft" and the label manager stays the one place where part names are defined.
"""

from __future__ import annotations

from pycocotools import mask as mask_utils
from sqlmodel import Session, select

from video_seg_backend.keypoints.schema import structure_of
from video_seg_backend.models import Annotation, Label, TrackedObject
from video_seg_backend.storage.masks import normalize_rle


class PartError(ValueError):
    """A part that cannot be: the message says which rule it breaks (a 422 at the API)."""


def check_part(session: Session, media_id: int, parent_id: int, part: str | None, label_id: int | None) -> Label:
    """The label a new part of ``parent_id`` gets (the parent's); PartError when it cannot be one."""
    parent = session.get(TrackedObject, parent_id)
    if parent is None or parent.media_id != media_id:
        raise PartError(f"Parent object {parent_id} is not an object of this media item")
    if parent.parent_id is not None:
        raise PartError(f"Object {parent_id} is itself a part; a part's parent must be a whole object")
    label = session.get(Label, parent.label_id)
    assert label is not None  # object.label_id is a foreign key
    if label_id is not None and label_id != label.id:
        raise PartError(f"A part takes its parent's label ({label.name}, id {label.id}); leave label_id out")
    parts = structure_of(label.structure).parts
    if part is None:
        raise PartError(f"A part needs a name from its label's parts: {', '.join(parts) or 'the label has none'}")
    if part not in parts:
        known = ", ".join(parts) if parts else "none (add them under Keypoints & parts on the Labels page)"
        raise PartError(f"Label {label.name} has no part {part!r}; its parts: {known}")
    return label


def check_relabel(session: Session, obj: TrackedObject, label_id: int) -> list[TrackedObject]:
    """The parts that follow their parent to ``label_id``; PartError when a part cannot be relabelled
    on its own or the new label lacks one of the parts' names."""
    if obj.parent_id is not None:
        if label_id != obj.label_id:
            raise PartError("A part has its parent's label; relabel the parent instead")
        return []
    parts = list(session.exec(select(TrackedObject).where(TrackedObject.parent_id == obj.id)).all())
    label = session.get(Label, label_id)
    names = set(structure_of(label.structure if label else None).parts)
    missing = sorted({p.part or "" for p in parts} - names)
    if missing:
        raise PartError(f"The object's parts {', '.join(missing)} are not parts of the new label")
    return parts


def _parent_row(session: Session, parent_id: int, frame_index: int) -> Annotation | None:
    """The parent's mask on the frame as this session has it, including one written and not yet
    flushed (a tracking job writes a frame's masks, parents first, and flushes at its commit)."""
    for row in session.new:
        if isinstance(row, Annotation) and row.object_id == parent_id and row.frame_index == frame_index:
            return row
    with session.no_autoflush:
        return session.exec(
            select(Annotation).where(Annotation.object_id == parent_id, Annotation.frame_index == frame_index)
        ).first()


def within_parent(session: Session, object_id: int, frame_index: int, rle: dict) -> dict:
    """The mask to store for ``object_id``: ANDed with its parent's mask on that frame when it is a
    part and the parent has one there (a part with no parent mask yet keeps its own)."""
    obj = session.get(TrackedObject, object_id)
    if obj is None or obj.parent_id is None:
        return rle
    parent = _parent_row(session, obj.parent_id, frame_index)
    if parent is None or [parent.height, parent.width] != [int(v) for v in rle["size"]]:
        return rle
    own = _coco(normalize_rle(rle))
    inside = _coco({"size": [parent.height, parent.width], "counts": parent.rle_counts})
    # On the run lengths, no decoding: a part of a full HD frame costs microseconds.
    return normalize_rle(mask_utils.merge([own, inside], intersect=True))


def _coco(rle: dict) -> dict:
    """Compressed str counts as pycocotools' C code takes them (bytes)."""
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].encode("ascii")}
