"""Agreement of independent replicas of an item, the report of items below a threshold, and the
merge that makes the accepted annotation from the replicas (which are kept)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from sqlmodel import Session, col, select

from video_seg_backend.api.deps import CurrentUserDep, ProjectDep, ReadyMediaDep, SegmentationDep, SessionDep
from video_seg_backend.auth.history import record
from video_seg_backend.consensus.agreement import ItemAgreement, agreement
from video_seg_backend.consensus.replicas import load_replicas, merge
from video_seg_backend.consensus.schemas import (
    ConsensusItem,
    ConsensusPublic,
    MergeRequest,
    MergeResult,
    PairPublic,
)
from video_seg_backend.models import Assignment, Media, Role, User

router = APIRouter(tags=["consensus"])


def _names(session: Session, ids: list[int]) -> dict[int, str]:
    return {u.id or 0: u.username for u in session.exec(select(User).where(col(User.id).in_(ids)))}


def _measure(session: Session, media: Media) -> tuple[dict, ItemAgreement]:  # type: ignore[type-arg]
    replicas = load_replicas(session, media)
    if len(replicas) < 2:
        raise HTTPException(status_code=409, detail="Agreement needs the item assigned to at least 2 replicas")
    return replicas, agreement(replicas, media.num_frames, (media.height, media.width))


@router.get("/projects/{project_id}/media/{media_id}/consensus", response_model=ConsensusPublic)
def item_consensus(*, session: SessionDep, media: ReadyMediaDep) -> ConsensusPublic:
    """Agreement of the item's replicas: per annotator pair and overall."""
    _, result = _measure(session, media)
    names = _names(session, result.annotators)
    return ConsensusPublic(
        media_id=media.id or 0,
        annotators=[names[a] for a in result.annotators],
        pairs=[
            PairPublic(
                annotator_a=names[p.annotator_a],
                annotator_b=names[p.annotator_b],
                matches=p.matches,
                unmatched_a=p.unmatched_a,
                unmatched_b=p.unmatched_b,
                mean_j=p.mean_j,
                mean_f=p.mean_f,
                score=p.score,
            )  # fmt: skip
            for p in result.pairs
        ],
        score=result.score,
        label_alpha=result.label_alpha,
        presence_alpha=result.presence_alpha,
        groups=[{names[a]: k for a, k in g.items()} for g in result.clusters],
    )


@router.get("/projects/{project_id}/consensus", response_model=list[ConsensusItem])
def consensus_report(
    *, session: SessionDep, project: ProjectDep, threshold: float = Query(default=0.8, ge=0, le=1)
) -> list[ConsensusItem]:
    """Items with replicas whose agreement score is under ``threshold``, worst first."""
    media_ids = set(
        session.exec(select(Assignment.media_id).where(Assignment.project_id == project.id, col(Assignment.replica)))
    )
    report = []
    for media_id in sorted(media_ids):
        media = session.get(Media, media_id)
        if media is None or media.status != "ready":
            continue
        replicas = load_replicas(session, media)
        if len(replicas) < 2:
            continue
        result = agreement(replicas, media.num_frames, (media.height, media.width))
        if result.score < threshold:
            names = _names(session, result.annotators)
            report.append(
                ConsensusItem(
                    media_id=media_id,
                    name=media.name,
                    annotators=[names[a] for a in result.annotators],
                    score=result.score,
                    label_alpha=result.label_alpha,
                    presence_alpha=result.presence_alpha,
                )  # fmt: skip
            )
    return sorted(report, key=lambda r: r.score)


@router.post("/projects/{project_id}/media/{media_id}/consensus/merge", response_model=MergeResult, status_code=201)
def merge_replicas(
    *, session: SessionDep, segmentation: SegmentationDep, user: CurrentUserDep, media: ReadyMediaDep,
    body: MergeRequest,
) -> MergeResult:  # fmt: skip
    """Make the accepted annotation: one new object per matched group, by per-pixel majority of the
    replicas or the reviewer's pick per group. The replicas are kept."""
    if user.role not in (Role.reviewer, Role.admin):
        raise HTTPException(status_code=403, detail="Only a reviewer or an admin can merge replicas")
    replicas, result = _measure(session, media)
    for index, annotator in body.picks.items():
        if index >= len(result.clusters) or annotator not in result.clusters[index]:
            raise HTTPException(status_code=422, detail=f"picks: group {index} has no object of user {annotator}")
    created = merge(session, media, replicas, result, body.picks)
    record(session, "consensus.merge", project_id=media.project_id, media_id=media.id, detail=f"objects {created}")
    session.commit()
    segmentation.forget_media(media.id or 0)
    return MergeResult(object_ids=created)
