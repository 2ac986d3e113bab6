"""Action vocabulary and labels as stored: reading them for agreement and export, writing labels."""

from __future__ import annotations

from sqlmodel import Session, col, select

from video_seg_backend.actions.agreement import PersonGroup, PersonLabel, Replicas
from video_seg_backend.actions.boxes import boxes_at
from video_seg_backend.actions.vocabulary import ActionEntry
from video_seg_backend.models import ActionClass, ActionLabel, Media, User, utcnow

LOCAL_NAME = "local"  # the implicit user of a single-user studio


def vocabulary(session: Session, project_id: int) -> list[ActionEntry]:
    rows = session.exec(
        select(ActionClass).where(ActionClass.project_id == project_id).order_by(col(ActionClass.action_id))
    )
    return [ActionEntry(r.action_id, r.name, r.group, r.exclusive) for r in rows]


def annotator_names(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    real = [i for i in ids if i is not None]
    names: dict[int | None, str] = {None: LOCAL_NAME}
    names.update({u.id: u.username for u in session.exec(select(User).where(col(User.id).in_(real)))})
    return names


def set_label(
    session: Session, media: Media, object_id: int, frame_index: int, annotator_id: int | None, actions: list[int]
) -> ActionLabel:
    """One annotator's actions for one person at one keyframe, replacing what they had there."""
    row = session.exec(
        select(ActionLabel).where(
            ActionLabel.object_id == object_id,
            ActionLabel.frame_index == frame_index,
            ActionLabel.annotator_id == annotator_id
            if annotator_id is not None
            else col(ActionLabel.annotator_id).is_(None),
            col(ActionLabel.merged).is_(False),
        )
    ).first()
    if row is None:
        row = ActionLabel(
            media_id=media.id or 0, object_id=object_id, frame_index=frame_index, annotator_id=annotator_id
        )
    row.actions, row.updated_at = sorted(actions), utcnow()
    session.add(row)
    return row


def load_replicas(session: Session, media: Media) -> Replicas:
    """Each annotator's labelled persons per keyframe, with the persons' mask boxes there (a label
    on a frame where the object has no mask has no box, and is left out)."""
    rows = session.exec(
        select(ActionLabel).where(ActionLabel.media_id == media.id, col(ActionLabel.merged).is_(False))
    ).all()
    boxes = boxes_at(session, media.id or 0, sorted({r.frame_index for r in rows}))
    names = annotator_names(session, {r.annotator_id for r in rows})
    replicas: Replicas = {}
    for r in rows:
        box = boxes.get((r.object_id, r.frame_index))
        if box is None:
            continue
        per_frame = replicas.setdefault(names[r.annotator_id], {})
        per_frame.setdefault(r.frame_index, []).append(PersonLabel(r.object_id, box, frozenset(r.actions)))
    return replicas


def write_merged(session: Session, media: Media, merged: list[tuple[PersonGroup, frozenset[int]]]) -> int:
    """The accepted labels: on each group's first member's object, replacing earlier merges."""
    for old in session.exec(select(ActionLabel).where(ActionLabel.media_id == media.id, col(ActionLabel.merged))):
        session.delete(old)
    for group, actions in merged:
        first = group.members[sorted(group.members)[0]]
        session.add(
            ActionLabel(
                media_id=media.id or 0,
                object_id=first.object_id,
                frame_index=group.frame_index,
                merged=True,
                actions=sorted(actions),
            )
        )
    session.commit()
    return len(merged)


def accepted_labels(session: Session, media_id: int) -> dict[tuple[int, int], list[int]]:
    """(object id, frame) -> actions for export: the merged labels where a reviewer merged;
    otherwise per person the actions more than half of the annotators who labelled it ticked
    (one annotator: theirs)."""
    rows = session.exec(select(ActionLabel).where(ActionLabel.media_id == media_id)).all()
    if any(r.merged for r in rows):
        return {(r.object_id, r.frame_index): list(r.actions) for r in rows if r.merged}
    votes: dict[tuple[int, int], list[list[int]]] = {}
    for r in rows:
        votes.setdefault((r.object_id, r.frame_index), []).append(list(r.actions))
    result = {}
    for key, sets in votes.items():
        counts: dict[int, int] = {}
        for actions in sets:
            for a in actions:
                counts[a] = counts.get(a, 0) + 1
        result[key] = sorted(a for a, n in counts.items() if n * 2 > len(sets))
    return result
