from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from video_seg_backend.api.deps import EventsDep, ProjectDep, SegmentationDep, SessionDep
from video_seg_backend.events import ObjectsUpdated
from video_seg_backend.models import Int, Label, LabelCreate, LabelPublic, LabelUpdate, TrackedObject

router = APIRouter(prefix="/projects/{project_id}/labels", tags=["labels"])


def _get_label(session: SessionDep, project: ProjectDep, label_id: int) -> Label:
    label = session.get(Label, label_id)
    if label is None or label.project_id != project.id:
        raise HTTPException(status_code=404, detail="Label not found")
    return label


def _commit_unique(session: SessionDep, label: Label) -> Label:
    session.add(label)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise HTTPException(
            status_code=409, detail=f"A label named '{label.name}' already exists in this project"
        ) from exc
    session.refresh(label)
    return label


@router.get("", response_model=list[LabelPublic])
def list_labels(*, session: SessionDep, project: ProjectDep) -> list[Label]:
    """List the project's labels."""
    return list(session.exec(select(Label).where(Label.project_id == project.id).order_by(col(Label.id))))


@router.post("", response_model=LabelPublic, status_code=201)
def create_label(*, session: SessionDep, project: ProjectDep, body: LabelCreate) -> Label:
    """Create a label (name unique within the project, hex colour)."""
    return _commit_unique(session, Label.model_validate(body, update={"project_id": project.id}))


@router.patch("/{label_id}", response_model=LabelPublic)
def update_label(*, session: SessionDep, project: ProjectDep, label_id: Int, body: LabelUpdate) -> Label:
    """Rename or recolour a label."""
    label = _get_label(session, project, label_id)
    label.sqlmodel_update(body.model_dump(exclude_unset=True))
    return _commit_unique(session, label)


@router.delete("/{label_id}", status_code=204)
def delete_label(
    *,
    session: SessionDep,
    segmentation: SegmentationDep,
    events: EventsDep,
    project: ProjectDep,
    label_id: Int,
    force: bool = False,
) -> None:
    """Delete a label; one in use is refused (409) unless ``force``, which deletes its objects too."""
    label = _get_label(session, project, label_id)
    objects = list(session.exec(select(TrackedObject).where(TrackedObject.label_id == label.id)))
    if objects and not force:
        raise HTTPException(
            status_code=409,
            detail=f"Label '{label.name}' is used by {len(objects)} object(s); delete them first "
            "or repeat with ?force=true to delete them with their masks",
        )
    gone: dict[int, list[int]] = {}  # media id -> its objects that go
    for obj in objects:
        gone.setdefault(obj.media_id, []).append(obj.id or 0)
        session.delete(obj)
    session.flush()  # the objects first: nothing tells the ORM that they reference the label
    session.delete(label)
    session.commit()
    for media_id, object_ids in gone.items():
        segmentation.forget_media(media_id)
        # A studio with the media item open (another tab) drops the objects from its list.
        events.publish(project.id, ObjectsUpdated(media_id=media_id, object_ids=object_ids))


def label_in_project(session: SessionDep, project_id: int | None, label_id: int) -> Label:
    label = session.get(Label, label_id)
    if label is None or label.project_id != project_id:
        raise HTTPException(status_code=422, detail=f"Label {label_id} does not exist in this project")
    return label
