"""Spatio-temporal actions: the project's action vocabulary, keyframes, and each annotator's action
labels per person and keyframe (review, clips, AVA import and person edits: action_review.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from video_seg_backend.actions.export import video_id
from video_seg_backend.actions.keyframes import NoFrameRate, clip_start, keyframe_hz, keyframes
from video_seg_backend.actions.schemas import (
    ActionLabelIn,
    ActionLabelPublic,
    KeyframePublic,
    KeyframeRateIn,
    KeyframesPublic,
    VocabularyImported,
)
from video_seg_backend.actions.store import annotator_names, set_label, vocabulary
from video_seg_backend.actions.vocabulary import (
    ActionEntry,
    VocabularyError,
    check_action_set,
    check_entries,
    parse_csv,
    parse_label_map,
    write_label_map,
)
from video_seg_backend.api.deps import (
    CurrentUserDep,
    ProjectDep,
    ReadyMediaDep,
    SessionDep,
)
from video_seg_backend.models import (
    ActionClass,
    ActionClassCreate,
    ActionClassPublic,
    ActionClassUpdate,
    ActionLabel,
    Annotation,
    Int,
    KeyframeRate,
    Media,
    Role,
    TrackedObject,
)

router = APIRouter(tags=["actions"])
MAX_VOCABULARY_BYTES = 1024 * 1024


# --- vocabulary ------------------------------------------------------------------------------------
def _action(session: Session, project_id: int, action_pk: int) -> ActionClass:
    row = session.get(ActionClass, action_pk)
    if row is None or row.project_id != project_id:
        raise HTTPException(status_code=404, detail="Action not found")
    return row


def _check_vocabulary(entries: list[ActionEntry]) -> None:
    try:
        check_entries(entries)
    except VocabularyError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.get("/projects/{project_id}/actions", response_model=list[ActionClassPublic])
def list_actions(*, session: SessionDep, project: ProjectDep) -> list[ActionClass]:
    """The project's action vocabulary, by action id."""
    return list(
        session.exec(
            select(ActionClass).where(ActionClass.project_id == project.id).order_by(col(ActionClass.action_id))
        )
    )


@router.post("/projects/{project_id}/actions", response_model=ActionClassPublic, status_code=201)
def create_action(*, session: SessionDep, project: ProjectDep, body: ActionClassCreate) -> ActionClass:
    """Add an action (its id and name must be new in the project)."""
    entries = vocabulary(session, project.id or 0)
    _check_vocabulary([*entries, ActionEntry(body.action_id, body.name, body.group, body.exclusive)])
    row = ActionClass(project_id=project.id or 0, **body.model_dump())
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


@router.patch("/projects/{project_id}/actions/{action_pk}", response_model=ActionClassPublic)
def update_action(*, session: SessionDep, project: ProjectDep, action_pk: Int, body: ActionClassUpdate) -> ActionClass:
    """Rename an action or change its group (its id stays: labels refer to it)."""
    row = _action(session, project.id or 0, action_pk)
    for key, value in body.model_dump(exclude_unset=True).items():
        if key in ("name", "exclusive") and value is None:
            raise HTTPException(status_code=422, detail=f"{key} cannot be null")
        setattr(row, key, value)
    others = [e for e in vocabulary(session, project.id or 0) if e.action_id != row.action_id]
    _check_vocabulary([*others, ActionEntry(row.action_id, row.name, row.group, row.exclusive)])
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def _labels_using(session: Session, project_id: int, action_ids: set[int]) -> int:
    rows = session.exec(
        select(ActionLabel.actions)
        .join(Media, col(Media.id) == ActionLabel.media_id)
        .where(Media.project_id == project_id)
    )
    return sum(1 for actions in rows if action_ids & set(actions))


@router.delete("/projects/{project_id}/actions/{action_pk}", status_code=204)
def delete_action(*, session: SessionDep, project: ProjectDep, action_pk: Int) -> None:
    """Remove an action that no label uses."""
    row = _action(session, project.id or 0, action_pk)
    used = _labels_using(session, project.id or 0, {row.action_id})
    if used:
        raise HTTPException(status_code=409, detail=f"'{row.name}' is ticked in {used} labels; untick it there first")
    session.delete(row)
    session.commit()


@router.post("/projects/{project_id}/actions/import", response_model=VocabularyImported, status_code=201)
async def import_vocabulary(
    *,
    session: SessionDep,
    project: ProjectDep,
    file: Annotated[UploadFile, File(description="An AVA label map (.pbtxt) or a CSV id,name[,group[,exclusive]]")],
    replace: Annotated[bool, Query(description="Replace the vocabulary instead of adding to it")] = False,
) -> VocabularyImported:
    """Import actions from an AVA label map or CSV: all of them or, with a 422 naming each problem, none."""
    data = await file.read(MAX_VOCABULARY_BYTES + 1)
    if len(data) > MAX_VOCABULARY_BYTES:
        raise HTTPException(status_code=413, detail="A label map is limited to 1 MB")
    try:
        text = data.decode("utf-8-sig")
        entries = parse_label_map(text) if "{" in text else parse_csv(text)
    except UnicodeDecodeError as exc:
        raise HTTPException(status_code=422, detail="The file is not UTF-8 text; expected .pbtxt or CSV") from exc
    except VocabularyError as exc:
        raise HTTPException(status_code=422, detail=f"'{file.filename}': {exc}") from exc
    existing = session.exec(select(ActionClass).where(ActionClass.project_id == project.id)).all()
    if replace:
        dropped = {r.action_id for r in existing} - {e.action_id for e in entries}
        used = _labels_using(session, project.id or 0, dropped)
        if used:
            raise HTTPException(
                status_code=409,
                detail=f"{used} labels tick actions {sorted(dropped)}, which the new vocabulary lacks: nothing changed",
            )
        for row in existing:
            session.delete(row)
        session.flush()
    else:
        kept = [ActionEntry(r.action_id, r.name, r.group, r.exclusive) for r in existing]
        _check_vocabulary([*kept, *entries])
    for e in entries:
        session.add(
            ActionClass(
                project_id=project.id or 0, action_id=e.action_id, name=e.name, group=e.group, exclusive=e.exclusive
            )
        )
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent import took an id or name
        session.rollback()
        raise HTTPException(status_code=409, detail="An action id or name was taken meanwhile; try again") from exc
    return VocabularyImported(created=len(entries), replaced=len(existing) if replace else 0)


@router.get(
    "/projects/{project_id}/actions/labelmap", response_class=Response, responses={200: {"content": {"text/plain": {}}}}
)
def label_map(*, session: SessionDep, project: ProjectDep) -> Response:
    """The vocabulary as an AVA label map (.pbtxt)."""
    return Response(write_label_map(vocabulary(session, project.id or 0)), media_type="text/plain; charset=utf-8")


@router.put("/projects/{project_id}/actions/keyframe-rate", status_code=204)
def set_keyframe_rate(*, session: SessionDep, project: ProjectDep, body: KeyframeRateIn) -> None:
    """Keyframes per second for the project, or for one of its media items."""
    if body.media_id is not None:
        media = session.get(Media, body.media_id)
        if media is None or media.project_id != project.id:
            raise HTTPException(status_code=404, detail="Media not found")
    row = session.exec(
        select(KeyframeRate).where(
            KeyframeRate.project_id == project.id,
            col(KeyframeRate.media_id).is_(None) if body.media_id is None else KeyframeRate.media_id == body.media_id,
        )
    ).first() or KeyframeRate(project_id=project.id or 0, media_id=body.media_id)
    row.hz = body.hz
    session.add(row)
    session.commit()


# --- keyframes and labels ---------------------------------------------------------------------------
@router.get("/projects/{project_id}/media/{media_id}/keyframes", response_model=KeyframesPublic)
def media_keyframes(*, session: SessionDep, media: ReadyMediaDep) -> KeyframesPublic:
    """The keyframes to label, with their seconds in the item and in the source video."""
    source, start = clip_start(session, media)
    hz = keyframe_hz(session, media)
    try:
        frames = keyframes(media, hz, start)
    except NoFrameRate as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    return KeyframesPublic(
        hz=hz,
        fps=media.fps or 0,
        video_id=video_id(source),
        start_seconds=start,
        keyframes=[
            KeyframePublic(frame_index=k.frame_index, seconds=k.seconds, source_seconds=k.source_seconds)
            for k in frames
        ],
    )


def _public(row: ActionLabel, names: dict[int | None, str]) -> ActionLabelPublic:
    return ActionLabelPublic(
        object_id=row.object_id,
        frame_index=row.frame_index,
        actions=list(row.actions),
        annotator="merged" if row.merged else names[row.annotator_id],
        merged=row.merged,
        updated_at=row.updated_at,
    )


@router.get("/projects/{project_id}/media/{media_id}/action-labels", response_model=list[ActionLabelPublic])
def list_action_labels(
    *, session: SessionDep, user: CurrentUserDep, media: ReadyMediaDep, everyone: bool = False
) -> list[ActionLabelPublic]:
    """Your action labels on the item; ``everyone`` (reviewers, admins): every annotator's and the merge."""
    query = select(ActionLabel).where(ActionLabel.media_id == media.id)
    if everyone and user.role not in (Role.reviewer, Role.admin):
        raise HTTPException(status_code=403, detail="Only a reviewer or an admin sees every annotator's labels")
    if not everyone:
        own = col(ActionLabel.annotator_id).is_(None) if user.id is None else ActionLabel.annotator_id == user.id
        query = query.where(own, col(ActionLabel.merged).is_(False))
    rows = session.exec(query.order_by(col(ActionLabel.frame_index), col(ActionLabel.object_id))).all()
    names = annotator_names(session, {r.annotator_id for r in rows})
    return [_public(r, names) for r in rows]


@router.put("/projects/{project_id}/media/{media_id}/action-labels", response_model=ActionLabelPublic)
def put_action_label(
    *, session: SessionDep, user: CurrentUserDep, media: ReadyMediaDep, body: ActionLabelIn
) -> ActionLabelPublic:
    """Set the actions you see one person (object) do at one keyframe (an empty list: none)."""
    obj = session.get(TrackedObject, body.object_id)
    if obj is None or obj.media_id != media.id:
        raise HTTPException(status_code=404, detail="Object not found")
    try:
        frames = {k.frame_index for k in keyframes(media, keyframe_hz(session, media))}
    except NoFrameRate as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    if body.frame_index not in frames:
        near = sorted(frames, key=lambda f: abs(f - body.frame_index))[:2]
        raise HTTPException(
            status_code=422, detail=f"Frame {body.frame_index} is not a keyframe; the nearest are {sorted(near)}"
        )
    has_box = session.exec(
        select(func.count())
        .select_from(Annotation)
        .where(Annotation.object_id == obj.id, Annotation.frame_index == body.frame_index, Annotation.area > 0)
    ).one()
    if not has_box:
        raise HTTPException(
            status_code=422,
            detail=f"Object {obj.id} has no mask on frame {body.frame_index}, so no box: segment or track it there",
        )
    problems = check_action_set(body.actions, vocabulary(session, media.project_id))
    if problems:
        raise HTTPException(status_code=422, detail="; ".join(problems))
    row = set_label(session, media, obj.id or 0, body.frame_index, user.id, body.actions)
    try:
        session.commit()
    except IntegrityError:
        # The same person and keyframe saved by this annotator in another tab got in first: this
        # save replaces it, as if it had come second.
        session.rollback()
        row = set_label(session, media, obj.id or 0, body.frame_index, user.id, body.actions)
        session.commit()
    session.refresh(row)
    return _public(row, annotator_names(session, {row.annotator_id}))


@router.delete("/projects/{project_id}/media/{media_id}/action-labels", status_code=204)
def delete_action_label(
    *, session: SessionDep, user: CurrentUserDep, media: ReadyMediaDep, object_id: Int, frame_index: Int
) -> None:
    """Remove your label of a person at a keyframe (the person is then unlabelled there)."""
    own = col(ActionLabel.annotator_id).is_(None) if user.id is None else ActionLabel.annotator_id == user.id
    rows = session.exec(
        select(ActionLabel).where(
            ActionLabel.media_id == media.id,
            ActionLabel.object_id == object_id,
            ActionLabel.frame_index == frame_index,
            own,
            col(ActionLabel.merged).is_(False),
        )
    ).all()
    if not rows:
        raise HTTPException(status_code=404, detail="Action label not found")
    for row in rows:
        session.delete(row)
    session.commit()
