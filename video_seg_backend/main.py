"""App factory and lifespan: everything heavy is built once here and reached through deps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import get_args, get_origin

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.routing import Match

from video_seg_backend import __version__
from video_seg_backend.api.deps import get_current_user
from video_seg_backend.api.routes import action_review as action_review_routes
from video_seg_backend.api.routes import actions as action_routes
from video_seg_backend.api.routes import annotations as annotation_routes
from video_seg_backend.api.routes import (
    assignments,
    auto_annotate,
    consensus,
    datasets,
    events,
    health,
    history,
    jobs,
    keypoints,
    labels,
    media,
    objects,
    projects,
    prompts,
    review_queue,
    users,
)
from video_seg_backend.api.routes import auth as auth_routes
from video_seg_backend.api.state import AppState
from video_seg_backend.auth import history as attribution
from video_seg_backend.auth import visibility as replica_visibility
from video_seg_backend.auth.mode import AdminMissingError, check_startup
from video_seg_backend.core.config import Settings, get_settings
from video_seg_backend.core.db import build_db_engine, init_db
from video_seg_backend.engine.registry import ModelRegistry
from video_seg_backend.events import build_event_bus
from video_seg_backend.jobs.auto_annotate import run_auto_annotate
from video_seg_backend.jobs.export import run_export
from video_seg_backend.jobs.model_download import run_model_download
from video_seg_backend.jobs.params import (
    AutoAnnotateParams,
    DownloadModelParams,
    ExportParams,
    KeypointsParams,
    PropagateParams,
)
from video_seg_backend.jobs.propagation import run_propagation
from video_seg_backend.jobs.worker import JobWorker
from video_seg_backend.keypoints.job import run_keypoint_tracking
from video_seg_backend.models import JobKind
from video_seg_backend.services.ingest import IngestService
from video_seg_backend.services.segmentation import SegmentationService
from video_seg_backend.storage.files import StorageLayout

API_PREFIX = "/api/v1"


class ValidationErrorItem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    """Every 4xx answer: one sentence a person can act on; a 422 for a malformed request adds the
    structured list of what failed validation, for programs."""

    detail: str
    errors: list[ValidationErrorItem] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    "4XX": {"model": ErrorResponse, "description": "The request cannot be served as sent; `detail` says why"}
}
log = logging.getLogger(__name__)


def build_state(settings: Settings) -> AppState:
    attribution.install()
    replica_visibility.install()
    storage = StorageLayout(settings.data_dir)
    storage.ensure()
    db = build_db_engine(settings)
    init_db(db)
    events = build_event_bus(settings)
    worker = JobWorker(
        db, events, settings.progress_events_per_s, broker_url=settings.broker_url,
        heartbeat_s=settings.job_heartbeat_s, stale_after_s=settings.job_stale_after_s,
        max_attempts=settings.job_max_attempts, frame_delay_s=settings.job_frame_delay_s,
    )  # fmt: skip
    registry = ModelRegistry(settings)
    segmentation = SegmentationService(db, storage, events, registry)
    state = AppState(
        settings=settings,
        db=db,
        storage=storage,
        events=events,
        worker=worker,
        ingest=IngestService(settings, db, storage, events),
        registry=registry,
        segmentation=segmentation,
    )
    worker.register(
        JobKind.propagate, lambda ctx, raw: run_propagation(segmentation, ctx, PropagateParams.model_validate(raw))
    )
    worker.register(JobKind.export, lambda ctx, raw: run_export(db, storage, ctx, ExportParams.model_validate(raw)))
    worker.register(
        JobKind.keypoints,
        lambda ctx, raw: run_keypoint_tracking(segmentation, ctx, KeypointsParams.model_validate(raw)),
    )
    worker.register(
        JobKind.download_model,
        lambda ctx, raw: run_model_download(registry, ctx, DownloadModelParams.model_validate(raw)),
    )
    worker.register(
        JobKind.auto_annotate,
        lambda ctx, raw: run_auto_annotate(segmentation, ctx, AutoAnnotateParams.model_validate(raw)),
    )
    return state


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = build_state(settings)
        try:
            check_startup(settings, state.db)  # beyond loopback: no serving until an admin exists
        except AdminMissingError:
            state.ingest.shutdown()
            state.events.close()
            state.db.dispose()
            raise
        state.events.bind_loop(asyncio.get_running_loop())
        state.worker.start()
        app.state.studio = state
        log.info("Video-Seg Studio %s: data in %s, device %s", __version__, settings.data_dir, state.registry.device)
        try:
            yield
        finally:
            state.worker.stop()
            state.ingest.shutdown()
            state.events.close()
            state.db.dispose()

    app = FastAPI(
        title="Video-Seg Studio",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["*"], allow_headers=["*"])

    def _expected_fields(request: Request, loc: list[str]) -> str:
        """The message's ending that lists the fields of the body model a misspelt field sits in."""
        route = request.scope.get("route")
        body = getattr(route, "body_field", None)
        model = getattr(getattr(body, "field_info", None), "annotation", None)
        while model is not None and get_origin(model) is list:
            model = get_args(model)[0]
        fields = getattr(model, "model_fields", None)
        top_level = len([p for p in loc[1:] if not p.isdigit()]) == 1  # list indices aside
        return f" (expected: {', '.join(fields)})" if fields and top_level else ""

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # One sentence a person can act on, plus the structured list for programs.
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", [])]
        where = ".".join(p for p in loc if p != "body") or ("request body" if loc == ["body"] else "")
        message = f"{where}: {first.get('msg', 'invalid value')}" if where else first.get("msg", "Invalid request")
        if first.get("type") == "extra_forbidden":
            message = f"{where}: not a field of this request{_expected_fields(_request, loc)}"
        return JSONResponse(status_code=422, content={"detail": message, "errors": jsonable_errors(exc)})

    for router in (
        health.router,
        projects.router,
        labels.router,
        media.router,
        objects.router,
        prompts.router,
        annotation_routes.router,
        jobs.router,
        events.router,
        datasets.router,
        auth_routes.router,
        users.router,
        assignments.router,
        history.router,
        consensus.router,
        review_queue.router,
        review_queue.project_router,
        keypoints.router,
        action_routes.router,
        auto_annotate.router,
        action_review_routes.router,
    ):
        # Every route passes the one access check (auth/access.py): sign-in, project membership,
        # job ownership; the few public ones (health, sign-in) are listed there.
        app.include_router(
            router, prefix=API_PREFIX, responses=ERROR_RESPONSES, dependencies=[Depends(get_current_user)]
        )

    @app.api_route(
        f"{API_PREFIX}/{{path:path}}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        include_in_schema=False,
    )
    def _api_not_found(request: Request, path: str) -> None:
        # A path that exists with other methods is a 405 with Allow, not an unknown endpoint.
        def serves(method: str) -> bool:
            scope = {**request.scope, "method": method}
            return any(
                r.matches(scope)[0] == Match.FULL
                for r in app.routes
                if getattr(r, "include_in_schema", True)  # not this catch-all, the docs or the studio
            )

        allowed = [m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if serves(m)]
        if allowed:
            raise HTTPException(
                status_code=405,
                detail=f"{request.method} is not allowed on /{path}; use {', '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        raise HTTPException(status_code=404, detail=f"No API endpoint /{path}; see {API_PREFIX}/docs")

    mount_frontend(app, settings.frontend_dir)
    return app


def jsonable_errors(exc: RequestValidationError) -> list[dict[str, object]]:
    return [{"loc": list(e.get("loc", [])), "msg": e.get("msg"), "type": e.get("type")} for e in exc.errors()]


def mount_frontend(app: FastAPI, build_dir: Path) -> None:
    """Serve the built studio at "/", with index.html for client-side routes."""
    index = build_dir / "index.html"
    if not index.exists():

        @app.get("/", include_in_schema=False)
        def _no_frontend() -> JSONResponse:
            return JSONResponse(
                {
                    "detail": f"The studio is not built ({build_dir}); run the README's first command. "
                    f"API: {API_PREFIX}/docs"
                }
            )

        return
    if (build_dir / "_app").exists():
        # Hashed, immutable bundles: served by StaticFiles straight from disk.
        app.mount("/_app", StaticFiles(directory=build_dir / "_app"), name="studio-assets")

    @app.get("/{path:path}", include_in_schema=False)
    def _studio(path: str) -> FileResponse:
        candidate = (build_dir / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(build_dir.resolve()):
            return FileResponse(candidate)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
