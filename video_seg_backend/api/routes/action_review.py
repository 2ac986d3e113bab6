"""Reviewing and preparing action data: agreement of annotators, the QC list and the majority merge,
clips cut from long videos, AVA import, and person tracks split or merged."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, UploadFile
from sqlmodel import Session, col, select

from video_seg_backend.actions.agreement import item_agreement, majority
from video_seg_backend.actions.ava_import import restore_ava
from video_seg_backend.actions.keyframes import NoFrameRate
from video_seg_backend.actions.persons import PersonEditError, merge_persons, split_person
from video_seg_backend.actions.schemas import (
    ActionKappa,
    AgreementPublic,
    AvaImported,
    ClipRequest,
    MergedPublic,
    PairAgreementPublic,
    PersonMergeRequest,
    QcItem,
    SplitRequest,
)
from video_seg_backend.actions.store import load_replicas, vocabulary, write_merged
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
    ActionLabel,
    Int,
    Media,
    MediaPublic,
    ObjectPublic,
    Role,
    TrackedObject,
)
from video_seg_backend.services.clips import cut_clips

router = APIRouter(tags=["actions"])
KAPPA_METHOD = (
    "Cohen's and Fleiss' kappa written out in actions/kappa.py (statsmodels and scikit-learn are not installed)"
)


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


# --- person tracks ------------------------------------------------------------------------------------
def _person(session: Session, media: Media, object_id: int) -> TrackedObject:
    obj = session.get(TrackedObject, object_id)
    if obj is None or obj.media_id != media.id:
        raise HTTPException(status_code=404, detail="Object not found")
    return obj


def _persons_changed(media: Media, segmentation: SegmentationDep, events: EventsDep) -> None:
    segmentation.forget_media(media.id or 0)  # the engine replays the persons' key frames as they are now
    segmentation.publish_updated(media, [], [0, max(0, media.num_frames - 1)])
    events.publish(media.project_id, ObjectsUpdated(media_id=media.id or 0, object_ids=[]))


@router.post(
    "/projects/{project_id}/media/{media_id}/persons/{object_id}/split", response_model=ObjectPublic, status_code=201
)
def split_track(
    *, session: SessionDep, segmentation: SegmentationDep, events: EventsDep, media: ReadyMediaDep,
    object_id: Int, body: SplitRequest,
) -> ObjectPublic:  # fmt: skip
    """Split a person at a frame: a new person takes its masks, prompts and action labels from there on."""
    try:
        new = split_person(session, _person(session, media, object_id), body.frame_index)
    except PersonEditError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    _persons_changed(media, segmentation, events)
    return ObjectPublic.model_validate(new)


@router.post("/projects/{project_id}/media/{media_id}/persons/{object_id}/merge", status_code=204)
def merge_tracks(
    *, session: SessionDep, segmentation: SegmentationDep, events: EventsDep, media: ReadyMediaDep,
    object_id: Int, body: PersonMergeRequest,
) -> None:  # fmt: skip
    """Merge a person into another (one person the tracker lost and found again); it is then deleted."""
    source, target = _person(session, media, object_id), _person(session, media, body.into_object_id)
    try:
        merge_persons(session, source, target)
    except PersonEditError as exc:
        raise HTTPException(status_code=409 if "Both persons" in str(exc) else 422, detail=str(exc)) from exc
    _persons_changed(media, segmentation, events)
