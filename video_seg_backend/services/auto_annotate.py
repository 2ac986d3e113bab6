"""Auto-annotation requests: which detector finds the concept, which label the objects get, and the job.

The job itself (detect every N frames, link into tracks, write objects) is ``jobs/auto_annotate.py``.
Everything a request can get wrong is refused here, before a job exists: an unknown detector, a
concept the detector cannot find, a model that cannot make masks.
"""

from __future__ import annotations

from typing import Annotated, Literal

import annotated_types
import numpy as np
from pydantic import Field
from sqlmodel import Session, col, func, select

from video_seg_backend.core.validation import LABEL_NAME_MAX
from video_seg_backend.detection import Detection, Detector, available_detectors, load_detector
from video_seg_backend.engine.registry import CONCEPT_KEYS, SAM3_KEY, ModelRegistry
from video_seg_backend.jobs.params import AutoAnnotateParams
from video_seg_backend.models import Index, Job, JobKind, Label, Media, RequestModel
from video_seg_backend.services.errors import PromptError

SAM3_DETECTOR = "sam3"
AUTO = "auto"
# Words a person may type for what the HOG detector finds; anything else is refused with the list.
PERSON_WORDS = frozenset({"person", "persons", "people", "pedestrian", "pedestrians", "human", "humans"})
NEW_LABEL_COLOR = "#2ca02c"

ConceptText = Annotated[str, Field(min_length=1, max_length=LABEL_NAME_MAX), annotated_types.MinLen(1)]


class AutoAnnotateRequest(RequestModel):
    """Find every instance of a concept through the video; each track becomes an object."""

    concept: ConceptText | None = Field(
        default=None, description='What to find ("person"); defaults to the name of the label'
    )
    label_id: Index | None = Field(
        default=None, description="The label of the objects; default: the project's label named like the concept"
    )
    every: Annotated[int, annotated_types.Interval(ge=1, le=1000)] = Field(
        default=5, description="Detect on every N-th frame (and the last); boxes are interpolated in between"
    )
    threshold: Annotated[float, annotated_types.Interval(ge=0.0, le=1.0)] = Field(
        default=0.25, description="Detections scoring below this are dropped (scores lie in [0, 1])"
    )
    detector: str = Field(
        default=AUTO, max_length=200, description='"auto" (SAM 3 if available, else "hog-person"), "sam3", or a plug-in'
    )
    masks: Literal["box", "model"] = Field(
        default="model", description='"model": segment each box with a model; "box": the box itself is the mask'
    )
    model: str | None = Field(default=None, max_length=200, description="Segmenting model; default: the default model")


def detectors_here(registry: ModelRegistry) -> list[str]:
    """The detectors a request may name: SAM 3 when its weights are here, then built-ins and plug-ins."""
    sam3 = [SAM3_DETECTOR] if registry.sam3_available() else []
    return sam3 + available_detectors()


def choose_detector(registry: ModelRegistry, asked: str) -> str:
    names = detectors_here(registry)
    if asked == AUTO:
        return names[0]
    if asked == SAM3_DETECTOR and SAM3_DETECTOR not in names:
        raise PromptError(f"SAM 3 is not available here: {registry.info(SAM3_KEY).reason}")
    if asked not in names:
        raise PromptError(f"Unknown detector {asked!r}; available: {', '.join(names)}")
    return asked


def detector_labels(detector: Detector) -> tuple[str, ...] | None:
    """What a fixed-vocabulary detector can find (``labels`` or ``label``); None: it does not say."""
    labels = getattr(detector, "labels", None)
    if labels is None:
        single = getattr(detector, "label", None)
        labels = (single,) if isinstance(single, str) else None
    return tuple(str(v) for v in labels) if labels is not None else None


def match_concept(concept: str, labels: tuple[str, ...] | None) -> str | None:
    """The detector label a concept names (None: an open-vocabulary detector, keep every detection)."""
    if labels is None:
        return None
    wanted = concept.strip().lower()
    for label in labels:
        if wanted == label.lower() or (label.lower() == "person" and wanted in PERSON_WORDS):
            return label
    raise PromptError(
        f"This detector cannot find {concept!r}; it finds: {', '.join(labels)}. "
        "Name one of these, or use SAM 3 or a detector plug-in for other concepts."
    )


def keep_detection(detection: Detection, wanted: str | None, threshold: float) -> bool:
    return detection.score >= threshold and (wanted is None or detection.label == wanted)


class _Filtered:
    """A detector whose detections are cut to one label and a score threshold."""

    def __init__(self, detector: Detector, wanted: str | None, threshold: float) -> None:
        self.detector, self.wanted, self.threshold = detector, wanted, threshold

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        return [d for d in self.detector.detect(rgb) if keep_detection(d, self.wanted, self.threshold)]


def open_detector(registry: ModelRegistry, params: AutoAnnotateParams) -> Detector:
    """The job's detector: SAM 3 on the concept, or a named detector cut to the concept's label."""
    if params.detector == SAM3_DETECTOR:
        return _Filtered(registry.concept_engine().detector(params.concept, params.threshold), None, params.threshold)
    detector = load_detector(params.detector)
    return _Filtered(detector, match_concept(params.concept, detector_labels(detector)), params.threshold)


def resolve_label(session: Session, media: Media, label_id: int | None, concept: str | None) -> tuple[Label, str]:
    """The label the objects get and the concept to find; a label named like the concept is made
    when the project has none (as a person would before clicking)."""
    if label_id is not None:
        label = session.get(Label, label_id)
        if label is None or label.project_id != media.project_id:
            raise LookupError("Label not found")
        return label, (concept or label.name).strip()
    if concept is None or not concept.strip():
        raise PromptError('Name a concept (e.g. "person") or a label')
    text = concept.strip()
    label = session.exec(
        select(Label).where(Label.project_id == media.project_id, func.lower(col(Label.name)) == text.lower())
    ).first()
    if label is None:
        label = Label(project_id=media.project_id, name=text, color=NEW_LABEL_COLOR)
        session.add(label)
        session.flush()
    return label, text


def create_auto_annotate_job(session: Session, registry: ModelRegistry, media: Media, body: AutoAnnotateRequest) -> Job:
    """Check the request and queue the job (PromptError: 422; LookupError: 404). Nothing is written
    when a check fails: the label a concept names is only kept with the job."""
    if body.concept is not None and not body.concept.strip():
        raise PromptError("concept: must not be blank")
    detector_name = choose_detector(registry, body.detector)
    label, concept = resolve_label(session, media, body.label_id, body.concept)
    if detector_name != SAM3_DETECTOR:
        try:
            detector = load_detector(detector_name)
        except Exception as exc:  # a plug-in's own failure, said as it is
            raise PromptError(f"Detector {detector_name!r} cannot be built here: {exc}") from exc
        match_concept(concept, detector_labels(detector))
    mask_model = None
    if body.masks == "model":
        mask_model = body.model or registry.default_key()
        try:
            registry.info(mask_model)
        except ValueError as exc:
            raise PromptError(str(exc)) from exc
        if mask_model in CONCEPT_KEYS:
            raise PromptError(f"Model {mask_model} answers text prompts; masks need a click model (e.g. opencv).")
        if not registry.info(mask_model).available:
            raise PromptError(f"Model {mask_model} is not available: {registry.info(mask_model).reason}")
    assert media.id is not None and label.id is not None
    params = AutoAnnotateParams(
        media_id=media.id, concept=concept, label_id=label.id, detector=detector_name, every=body.every,
        threshold=body.threshold, mask_model=mask_model,
    )  # fmt: skip
    job = Job(
        project_id=media.project_id,
        media_id=media.id,
        kind=JobKind.auto_annotate,
        progress_total=len(detection_frames(media.num_frames, body.every)),
        params=params.model_dump(mode="json"),
    )
    session.add(job)
    session.commit()
    session.refresh(job)
    return job


def detection_frames(num_frames: int, every: int) -> list[int]:
    """Every N-th frame and the last, so that the tail of the video is interpolated, not dropped."""
    frames = list(range(0, num_frames, every))
    if num_frames and frames[-1] != num_frames - 1:
        frames.append(num_frames - 1)
    return frames
