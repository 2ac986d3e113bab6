"""Person tracks as annotators fix them: split one at a frame (two people a tracker joined), or
merge two into one (one person the tracker lost and found again). Masks, prompts, action labels
and the tracking-undo records move together, in one transaction."""

from __future__ import annotations

from sqlmodel import Session, col, func, select, update

from video_seg_backend.models import ActionLabel, Annotation, Prompt, TrackedObject, TrackingChange

# Every row that belongs to an object on a frame.
_PER_FRAME = (Annotation, Prompt, ActionLabel, TrackingChange)


class PersonEditError(ValueError):
    """The split or merge cannot be made as asked; the message says why."""


def _frames(session: Session, object_id: int) -> dict[int, int]:
    """Frame -> mask area of the object's stored masks."""
    rows = session.exec(select(Annotation.frame_index, Annotation.area).where(Annotation.object_id == object_id))
    return dict(rows.all())


def split_person(session: Session, obj: TrackedObject, frame: int) -> TrackedObject:
    """A new person (same label) that takes everything of ``obj`` from ``frame`` on."""
    masked = sorted(f for f, area in _frames(session, obj.id or 0).items() if area > 0)
    if not any(f < frame for f in masked) or not any(f >= frame for f in masked):
        span = f"{masked[0]}..{masked[-1]}" if masked else "none"
        raise PersonEditError(
            f"Splitting at frame {frame} needs masks before and from there; this person has masks on frames {span}"
        )
    last = session.exec(select(func.max(TrackedObject.track_id)).where(TrackedObject.media_id == obj.media_id)).one()
    new = TrackedObject(media_id=obj.media_id, label_id=obj.label_id, track_id=(last or 0) + 1, name=obj.name)
    session.add(new)
    session.flush()
    for table in _PER_FRAME:
        session.exec(
            update(table)
            .where(col(table.object_id) == obj.id, col(table.frame_index) >= frame)
            .values(object_id=new.id)
        )  # type: ignore[call-overload]
    session.commit()
    session.refresh(new)
    return new


def merge_persons(session: Session, source: TrackedObject, target: TrackedObject) -> None:
    """Everything of ``source`` moves to ``target``, which keeps its label; ``source`` is deleted.
    A frame where both have a non-empty mask is a conflict (409): split or clear one there first."""
    if source.id == target.id:
        raise PersonEditError("A person cannot be merged into itself")
    mine, theirs = _frames(session, source.id or 0), _frames(session, target.id or 0)
    both = sorted(f for f in mine.keys() & theirs.keys() if mine[f] > 0 and theirs[f] > 0)
    if both:
        shown = ", ".join(map(str, both[:8])) + (" …" if len(both) > 8 else "")
        raise PersonEditError(f"Both persons have a mask on frames {shown}: split or clear one of them there first")
    # Where one side's mask is empty the other's is kept; labels of one annotator on one frame likewise.
    for frame in mine.keys() & theirs.keys():
        loser = source.id if mine[frame] == 0 else target.id
        for table in _PER_FRAME:
            for row in session.exec(
                select(table).where(col(table.object_id) == loser, col(table.frame_index) == frame)
            ):
                session.delete(row)
    session.flush()
    kept = {
        (r.frame_index, r.annotator_id, r.merged)
        for r in session.exec(select(ActionLabel).where(ActionLabel.object_id == target.id))
    }
    for row in session.exec(select(ActionLabel).where(ActionLabel.object_id == source.id)):
        if (row.frame_index, row.annotator_id, row.merged) in kept:
            session.delete(row)
    session.flush()
    for table in _PER_FRAME:
        session.exec(update(table).where(col(table.object_id) == source.id).values(object_id=target.id))  # type: ignore[call-overload]
    session.delete(source)
    session.commit()
