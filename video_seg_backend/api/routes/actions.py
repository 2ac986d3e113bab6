"""Spatio-temporal actions: the project's action vocabulary, keyframes, each annotator's action
labels per person and keyframe, their agreement, the merge, and clips cut from long videos."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from video_seg_backend.actions.agreement import item_agreement, majority
from video_seg_backend.actions.ava_import import restore_ava
from video_seg_backend.actions.export import video_id
from video_seg_backend.actions.keyframes import NoFrameRate, clip_start, keyframe_hz, keyframes
from video_seg_backend.actions.schemas import (
    ActionKappa,
    ActionLabelIn,
    ActionLabelPublic,
    AgreementPublic,
    AvaImported,
    ClipRequest,
    KeyframePublic,
    KeyframeRateIn,
    KeyframesPublic,
    MergedPublic,
    PairAgreementPublic,
    QcItem,
    VocabularyImported,
)
from video_seg_backend.actions.store import annotator_names, load_replicas, set_label, vocabulary, write_merged
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
    DbDep,
    EventsDep,
    ProjectDep,
    ReadyMediaDep,
    SegmentationDep,
    SessionDep,
    SettingsDep,
    StorageDep,
)
from video_seg_backend.api.routes.media import media_public
from video_seg_backend.events import ObjectsUpdated
from video_seg_backend.formats import FormatError
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
    MediaPublic,
    Role,
    TrackedObject,
)
from video_seg_backend.services.clips import cut_clips

router = APIRouter(tags=["actions"])
KAPPA_METHOD = (
    "Cohen's and Fleiss' kappa written out in actions/kappa.py (statsmodels and scikit-learn are not installed)"
)
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


# --- agreement, QC, merge ------------------------------------------------------------------------------
def _kappas(per_action: dict[int, float | None], names: dict[int, str]) -> list[ActionKappa]:
    return [ActionKappa(action_id=a, name=names.get(a, str(a)), kappa=k) for a, k in sorted(per_action.items())]


@router.get("/projects/{project_id}/media/{media_id}/action-agreement", response_model=AgreementPublic)
def action_agreement(*, session: SessionDep, media: ReadyMediaDep) -> AgreementPublic:
    """Agreement of the annotators' action labels: per pair (Cohen) and overall (Fleiss), box IoU apart."""
    entries = vocabulary(session, media.project_id)
    names = {e.action_id: e.name for e in entries}
    replicas = load_replicas(session, media)
    if len(replicas) < 2:
        raise HTTPException(status_code=409, detail="Agreement needs action labels from at least 2 annotators")
    result = item_agreement(replicas, [e.action_id for e in entries])
    return AgreementPublic(
        media_id=media.id or 0,
        annotators=result.annotators,
        persons=len(result.groups),
        kappa=result.kappa,
        per_action=_kappas(result.kappa_per_action, names),
        pairs=[
            PairAgreementPublic(
                annotator_a=p.annotator_a,
                annotator_b=p.annotator_b,
                matched=p.matched,
                unmatched_a=p.unmatched_a,
                unmatched_b=p.unmatched_b,
                mean_box_iou=p.mean_box_iou,
                kappa=p.kappa,
                per_action=_kappas(p.kappa_per_action, names),
            )
            for p in result.pairs
        ],
        method=KAPPA_METHOD,
    )


@router.get("/projects/{project_id}/action-qc", response_model=list[QcItem])
def action_qc(
    *, session: SessionDep, project: ProjectDep, threshold: float = Query(default=0.6, ge=-1, le=1)
) -> list[QcItem]:
    """Items labelled by 2+ annotators whose kappa is under ``threshold`` (or undefined), worst first."""
    action_ids = [e.action_id for e in vocabulary(session, project.id or 0)]
    media_ids = session.exec(
        select(ActionLabel.media_id)
        .join(Media, col(Media.id) == ActionLabel.media_id)
        .where(Media.project_id == project.id)
        .distinct()
    ).all()
    report = []
    for media_id in sorted(media_ids):
        media = session.get(Media, media_id)
        replicas = load_replicas(session, media) if media is not None else {}
        if media is None or len(replicas) < 2:
            continue
        result = item_agreement(replicas, action_ids)
        if result.kappa is None or result.kappa < threshold:
            report.append(QcItem(media_id=media_id, name=media.name, annotators=result.annotators, kappa=result.kappa))
    return sorted(report, key=lambda r: -2.0 if r.kappa is None else r.kappa)


@router.post("/projects/{project_id}/media/{media_id}/action-agreement/merge", response_model=MergedPublic)
def merge_action_labels(*, session: SessionDep, user: CurrentUserDep, media: ReadyMediaDep) -> MergedPublic:
    """Accept the labels by majority vote per action (persons more than half the annotators labelled).
    The annotators' labels are kept; exports use the merge."""
    if user.role not in (Role.reviewer, Role.admin):
        raise HTTPException(status_code=403, detail="Only a reviewer or an admin can merge action labels")
    replicas = load_replicas(session, media)
    if len(replicas) < 2:
        raise HTTPException(status_code=409, detail="Merging needs action labels from at least 2 annotators")
    result = item_agreement(replicas, [e.action_id for e in vocabulary(session, media.project_id)])
    return MergedPublic(persons=write_merged(session, media, majority(result.groups, len(replicas))))


# --- clips and AVA import ---------------------------------------------------------------------------
@router.post("/projects/{project_id}/media/{media_id}/clips", response_model=list[MediaPublic], status_code=201)
def make_clips(
    *, session: SessionDep, db: DbDep, storage: StorageDep, events: EventsDep, settings: SettingsDep,
    media: ReadyMediaDep, body: ClipRequest,
) -> list[MediaPublic]:  # fmt: skip
    """Cut the video into clips of ``seconds`` (the last may be shorter), each its own media item
    that keeps the source video and its start, so exported timestamps are the source's."""
    try:
        created = cut_clips(db, storage, events, media, body.seconds, settings.thumbnail_size)
    except NoFrameRate as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    return [media_public(session, m) for m in created]


@router.post("/projects/{project_id}/media/{media_id}/actions/import-ava", response_model=AvaImported, status_code=201)
async def import_ava_labels(
    *, session: SessionDep, user: CurrentUserDep, media: ReadyMediaDep, events: EventsDep,
    segmentation: SegmentationDep,
    file: Annotated[UploadFile, File(description="AVA annotations CSV, or an AVA export ZIP")],
) -> AvaImported:  # fmt: skip
    """Restore this video's persons (box-shaped masks at keyframes) and their action labels (as
    yours) from an AVA CSV; rows are this item's by video id (a clip: its source's) and timestamp."""
    data = await file.read(512 * 1024 * 1024)
    try:
        counts = restore_ava(session, media, data, file.filename or "annotations.csv", user.id)
    except FormatError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    # A studio with the item open shows the new persons; the engine replays their key frames.
    segmentation.forget_media(media.id or 0)
    segmentation.publish_updated(media, [], [0, max(0, media.num_frames - 1)])
    events.publish(media.project_id, ObjectsUpdated(media_id=media.id or 0, object_ids=[]))
    return AvaImported(**counts)
