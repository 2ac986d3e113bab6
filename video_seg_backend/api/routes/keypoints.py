"""A label's structure (keypoints, skeleton, parts) and an object's keypoints on its frames."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from sqlmodel import select

from video_seg_backend.api.deps import MediaDep, ObjectDep, ProjectDep, ReadyMediaDep, SessionDep, WorkerDep
from video_seg_backend.core.validation import INT_MAX
from video_seg_backend.jobs.params import JobPublic, KeypointsParams
from video_seg_backend.keypoints.models import (
    FrameKeypointsIn,
    ObjectKeypoints,
    RangeKeypointsIn,
    TrackKeypointsRequest,
)
from video_seg_backend.keypoints.schema import TEMPLATES, LabelStructure, StructureTemplate, structure_of
from video_seg_backend.models import Index, Int, Job, JobKind, Keypoint, Label, Media, TrackedObject
from video_seg_backend.services import keypoints as kp
from video_seg_backend.services.keypoints import KeypointInputError

router = APIRouter(tags=["keypoints"])
OBJECT = "/projects/{project_id}/media/{media_id}/objects/{object_id}/keypoints"


def get_label(label_id: Int, project: ProjectDep, session: SessionDep) -> Label:
    label = session.get(Label, label_id)
    if label is None or label.project_id != project.id:
        raise HTTPException(status_code=404, detail="Label not found")
    return label


LabelDep = Annotated[Label, Depends(get_label)]


@router.get("/label-templates", response_model=list[StructureTemplate])
def list_templates() -> list[StructureTemplate]:
    """Ready-made label structures: COCO's 17-point person and a tool with parts."""
    return TEMPLATES


@router.get("/projects/{project_id}/labels/{label_id}/structure", response_model=LabelStructure)
def get_structure(*, label: LabelDep) -> LabelStructure:
    """A label's keypoints, skeleton edges and parts (all empty when it has none)."""
    return structure_of(label.structure)


@router.put("/projects/{project_id}/labels/{label_id}/structure", response_model=LabelStructure)
def put_structure(*, session: SessionDep, label: LabelDep, body: LabelStructure) -> LabelStructure:
    """Replace a label's structure. Names must be unique and edges join existing points (422 naming
    the problem); once keypoints are stored, points may only be added at the end (409)."""
    structure = body
    old = structure_of(label.structure)
    if structure.keypoints[: len(old.keypoints)] != old.keypoints:
        used = kp.keypoint_frame_count(session, label.id or 0)
        if used:
            raise HTTPException(
                status_code=409,
                detail=f"Label '{label.name}' has keypoints on {used} object frame(s): its points "
                f"({', '.join(old.keypoints)}) can keep their names and order, and new ones go at the end",
            )
    label.structure = None if structure.empty else structure.model_dump()
    session.add(label)
    session.commit()
    return structure


def _names(session: SessionDep, obj: TrackedObject) -> list[str]:
    try:
        return kp.keypoint_names(session, obj)
    except KeypointInputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


def _answer(session: SessionDep, obj: TrackedObject, start: int = 0, end: int | None = None) -> ObjectKeypoints:
    _, structure = kp.object_structure(session, obj)
    return ObjectKeypoints(
        object_id=obj.id or 0,
        names=structure.keypoints,
        edges=[list(e) for e in structure.edges],
        frames=kp.read_frames(session, obj.id or 0, start, end),
    )


@router.get(OBJECT, response_model=ObjectKeypoints)
def get_keypoints(
    *, session: SessionDep, obj: ObjectDep, start: Index = 0, end: Index | None = None
) -> ObjectKeypoints:
    """An object's keypoints on frames start..end (inclusive; every frame when omitted)."""
    return _answer(session, obj, start, end)


def _write(session: SessionDep, media: Media, obj: TrackedObject, frames: list[tuple[int, FrameKeypointsIn]]) -> None:
    names = _names(session, obj)
    try:
        for frame_index, body in frames:
            kp.check_frame(media, names, frame_index, body.points)
    except KeypointInputError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    kp.write_frames(session, media, obj, [(f, body.points, body.source) for f, body in frames])
    session.commit()


@router.put(OBJECT + "/{frame_index}", response_model=ObjectKeypoints)
def put_frame_keypoints(
    *, session: SessionDep, media: MediaDep, obj: ObjectDep, frame_index: Index, body: FrameKeypointsIn
) -> ObjectKeypoints:
    """Set all of an object's points on a frame, in the order of its label's keypoints."""
    _write(session, media, obj, [(frame_index, body)])
    return _answer(session, obj, frame_index, frame_index)


@router.put(OBJECT, response_model=ObjectKeypoints)
def put_range_keypoints(
    *, session: SessionDep, media: MediaDep, obj: ObjectDep, body: RangeKeypointsIn
) -> ObjectKeypoints:
    """Set an object's points on several frames at once (all checked before any is written)."""
    frames = sorted(((f.frame_index, f) for f in body.frames), key=lambda t: t[0])
    if len({f for f, _ in frames}) != len(frames):
        raise HTTPException(status_code=422, detail="A frame is listed twice")
    _write(session, media, obj, list(frames))
    return _answer(session, obj, frames[0][0], frames[-1][0])


@router.delete(OBJECT, status_code=204)
def delete_keypoints(
    *, session: SessionDep, obj: ObjectDep, start: Index = 0, end: Index | None = None, tracked_only: bool = False
) -> None:
    """Remove an object's points on frames start..end (only tracked ones with ``tracked_only``)."""
    last = end if end is not None else INT_MAX
    kp.delete_frames(session, obj.id or 0, start, last, "tracked" if tracked_only else None)
    session.commit()


@router.post("/projects/{project_id}/media/{media_id}/keypoints/track", response_model=JobPublic, status_code=202)
def track_keypoints(
    *, session: SessionDep, worker: WorkerDep, media: ReadyMediaDep, body: TrackKeypointsRequest
) -> Job:
    """Fill frames start..end of objects' keypoints from their key frames (tracked, mask-checked); 202 with the job."""
    objects = set(session.exec(select(TrackedObject.id).where(TrackedObject.media_id == media.id)))
    unknown = set(body.object_ids or []) - objects
    if unknown:
        raise HTTPException(status_code=404, detail=f"Object(s) {sorted(unknown)} not found in this media item")
    keyed = set(
        session.exec(
            select(Keypoint.object_id).where(Keypoint.media_id == media.id, Keypoint.source == "key").distinct()
        )
    )
    wanted = body.object_ids or sorted(o for o in objects if o is not None)
    missing = [o for o in wanted if o not in keyed]
    if body.object_ids and missing:
        raise HTTPException(
            status_code=422, detail=f"Object(s) {missing} have no keypoint key frames: place their points first"
        )
    wanted = [o for o in wanted if o in keyed]
    if not wanted:
        raise HTTPException(status_code=422, detail="No object of this media item has keypoints placed on a frame")
    end = media.num_frames - 1 if body.end_frame is None else body.end_frame
    if not body.start_frame <= end <= media.num_frames - 1:
        raise HTTPException(
            status_code=422,
            detail=f"Frames {body.start_frame}..{end} are not a range within 0..{media.num_frames - 1}",
        )
    params = KeypointsParams(media_id=media.id or 0, object_ids=wanted, start_frame=body.start_frame, end_frame=end)
    job = Job(
        project_id=media.project_id,
        media_id=media.id,
        kind=JobKind.keypoints,
        progress_total=len(wanted) * (end - body.start_frame + 1),
        params=params.model_dump(mode="json"),
    )
    return worker.enqueue(session, job)
