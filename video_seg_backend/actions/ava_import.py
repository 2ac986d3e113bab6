"""An AVA annotations CSV back into the studio: persons as objects with a box-shaped mask at each
keyframe they appear in, and their actions as the importing annotator's labels. One transaction."""

from __future__ import annotations

from sqlmodel import Session, func, select

from video_seg_backend.actions.export import video_id
from video_seg_backend.actions.keyframes import clip_start
from video_seg_backend.actions.store import set_label, vocabulary
from video_seg_backend.actions.vocabulary import check_action_set
from video_seg_backend.formats.ava import PERSON_LABEL, box_mask, read_rows, rows_for_media
from video_seg_backend.formats.base import DatasetMedia, FormatError
from video_seg_backend.models import AnnotationSource, Label, Media, TrackedObject
from video_seg_backend.services.crud import upsert_mask

PERSON_COLOR = "#2ca02c"


def restore_ava(session: Session, media: Media, data: bytes, filename: str, annotator_id: int | None) -> dict[str, int]:
    source, start = clip_start(session, media)
    item = DatasetMedia(
        id=media.id or 0, name=media.name, kind="video", width=media.width, height=media.height,
        num_frames=media.num_frames, fps=media.fps,
    )  # fmt: skip
    persons = rows_for_media(read_rows(data, filename), item, video_id(source), start)
    entries = vocabulary(session, media.project_id)
    for (person_id, frame), person in sorted(persons.items()):
        problems = check_action_set(person.actions, entries)
        if problems:
            raise FormatError(f"Person {person_id} on frame {frame}: {'; '.join(problems)}")
    label = session.exec(select(Label).where(Label.project_id == media.project_id, Label.name == PERSON_LABEL)).first()
    if label is None:
        label = Label(project_id=media.project_id, name=PERSON_LABEL, color=PERSON_COLOR)
        session.add(label)
        session.flush()
    taken = set(session.exec(select(TrackedObject.track_id).where(TrackedObject.media_id == media.id)))
    last = session.exec(select(func.max(TrackedObject.track_id)).where(TrackedObject.media_id == media.id)).one() or 0
    objects: dict[int, TrackedObject] = {}
    for person_id in sorted({pid for pid, _ in persons}):
        # The file's person id stays the track id where it is free, so a re-export names it the same.
        if person_id >= 1 and person_id not in taken:
            track = person_id
        else:
            last = max(last, *taken) + 1 if taken else last + 1
            track = last
        taken.add(track)
        obj = TrackedObject(media_id=media.id or 0, label_id=label.id or 0, track_id=track, name=f"person {person_id}")
        session.add(obj)
        objects[person_id] = obj
    session.flush()
    for (person_id, frame), person in persons.items():
        object_id = objects[person_id].id or 0
        mask = box_mask(person.box, media.height, media.width)
        upsert_mask(session, media.id or 0, object_id, frame, mask, AnnotationSource.imported, None)
        set_label(session, media, object_id, frame, annotator_id, person.actions)
    session.commit()
    return {"persons": len(objects), "labels": len(persons), "masks": len(persons)}
