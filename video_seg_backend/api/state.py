"""The long-lived things the app builds once in its lifespan and routes reach through deps.

It lives beside the dependencies, not in ``core/``: it holds services and the job worker, and
``core/`` is what those are built on.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from video_seg_backend.core.config import Settings
from video_seg_backend.engine.registry import ModelRegistry
from video_seg_backend.events import EventBus
from video_seg_backend.jobs.worker import JobWorker
from video_seg_backend.services.ingest import IngestService
from video_seg_backend.services.segmentation import SegmentationService
from video_seg_backend.storage.files import StorageLayout


@dataclass
class AppState:
    settings: Settings
    db: Engine
    storage: StorageLayout
    events: EventBus
    worker: JobWorker
    ingest: IngestService
    registry: ModelRegistry
    segmentation: SegmentationService
