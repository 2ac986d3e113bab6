"""A small HTTP client for a running studio, used by the evaluation scripts and the robot annotator.

It speaks the public API (``/api/v1``, see DESIGN.md) only, like the browser does, so what the
scripts measure is what a person gets. Needs ``httpx`` (in the ``test`` extra).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from numpy.typing import NDArray

from video_seg_backend.evaluation.io import decode_rle

__all__ = ["StudioClient", "StudioError", "annotations_to_tracks"]

TERMINAL_JOB_STATES = {"completed", "failed", "canceled"}


class StudioError(RuntimeError):
    """The studio answered with an error; the message carries its ``detail``."""


def annotations_to_tracks(annotations: Iterable[dict[str, Any]]) -> dict[int, dict[int, NDArray[np.bool_]]]:
    """API annotations (``object_id``, ``frame_index``, ``rle``) as ``{object id: {frame: mask}}``."""
    tracks: dict[int, dict[int, NDArray[np.bool_]]] = {}
    for ann in annotations:
        rle = ann.get("rle") or ann.get("segmentation")
        if rle is None:
            continue
        tracks.setdefault(int(ann["object_id"]), {})[int(ann["frame_index"])] = decode_rle(rle)
    return tracks


class StudioClient:
    """Calls to one studio. ``base_url`` is the server root, e.g. ``http://127.0.0.1:8765``."""

    def __init__(self, base_url: str, timeout: float = 120.0) -> None:
        self.last_prompt_id: int | None = None
        root = base_url.rstrip("/")
        self.api = root if root.endswith("/api/v1") else f"{root}/api/v1"
        self.http = httpx.Client(timeout=timeout)
        self.requests = 0
        self.request_seconds = 0.0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> StudioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        start = time.perf_counter()
        response = self.http.request(method, f"{self.api}{path}", **kwargs)
        self.request_seconds += time.perf_counter() - start
        self.requests += 1
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise StudioError(f"{method} {path} -> {response.status_code}: {detail}")
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    # --- resources ------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return self.request("GET", "/health")

    def create_project(self, name: str, media_type: str = "video") -> dict[str, Any]:
        return self.request("POST", "/projects", json={"name": name, "media_type": media_type})

    def delete_project(self, project_id: int) -> None:
        self.request("DELETE", f"/projects/{project_id}")

    def create_label(self, project_id: int, name: str, color: str = "#ff6b6b") -> dict[str, Any]:
        return self.request("POST", f"/projects/{project_id}/labels", json={"name": name, "color": color})

    def upload(self, project_id: int, path: Path) -> dict[str, Any]:
        with open(path, "rb") as handle:
            files = [("files", (path.name, handle, "video/mp4" if path.suffix == ".mp4" else "image/jpeg"))]
            created = self.request("POST", f"/projects/{project_id}/media", files=files)
        return created[0] if isinstance(created, list) else created

    def media(self, project_id: int, media_id: int) -> dict[str, Any]:
        return self.request("GET", f"/projects/{project_id}/media/{media_id}")

    def wait_media_ready(self, project_id: int, media_id: int, timeout: float = 300.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            media = self.media(project_id, media_id)
            status = media.get("status")
            if status == "ready":
                return media
            if status == "failed":
                raise StudioError(f"media {media_id} failed to decode: {media.get('error')}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"media {media_id} still {status!r} after {timeout:.0f}s")
            time.sleep(0.25)

    def create_object(self, project_id: int, media_id: int, label_id: int, name: str | None = None) -> dict:
        body: dict[str, Any] = {"label_id": label_id}
        if name:
            body["name"] = name
        return self.request("POST", f"/projects/{project_id}/media/{media_id}/objects", json=body)

    def add_point(
        self, project_id: int, media_id: int, object_id: int, frame: int, x: float, y: float, positive: bool
    ) -> NDArray[np.bool_] | None:
        """Add a click; returns the object's new mask on that frame (None if the studio sent none)."""
        body = {
            "object_id": object_id,
            "frame_index": frame,
            "kind": "point",
            "x": x,
            "y": y,
            "positive": positive,
        }
        result = self.request("POST", f"/projects/{project_id}/media/{media_id}/prompts", json=body)
        self.last_prompt_id = int(result["prompt"]["id"]) if isinstance(result, dict) and result.get("prompt") else None
        annotation = result.get("annotation") if isinstance(result, dict) and "annotation" in result else result
        rle = (annotation or {}).get("rle") if isinstance(annotation, dict) else None
        return None if rle is None else decode_rle(rle)

    def delete_prompt(self, project_id: int, media_id: int, prompt_id: int) -> NDArray[np.bool_] | None:
        """Remove a prompt (the studio's undo of a click); returns the recomputed mask, if any."""
        result = self.request("DELETE", f"/projects/{project_id}/media/{media_id}/prompts/{prompt_id}")
        rle = ((result or {}).get("annotation") or {}).get("rle")
        return None if rle is None else decode_rle(rle)

    def annotations(
        self, project_id: int, media_id: int, start: int | None = None, end: int | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
        return self.request("GET", f"/projects/{project_id}/media/{media_id}/annotations", params=params)

    def tracks(self, project_id: int, media_id: int, num_frames: int | None = None) -> dict:
        """Every mask of the media item as ``{object id: {frame: mask}}``."""
        end = None if num_frames is None else num_frames - 1
        return annotations_to_tracks(self.annotations(project_id, media_id, 0 if end is not None else None, end))

    def propagate(
        self,
        project_id: int,
        media_id: int,
        object_ids: list[int],
        start_frame: int,
        direction: str = "both",
        model: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"object_ids": object_ids, "start_frame": start_frame, "direction": direction}
        if model:
            body["model"] = model
        return self.request("POST", f"/projects/{project_id}/media/{media_id}/propagate", json=body)

    def wait_job(
        self,
        job_id: int,
        timeout: float = 600.0,
        on_progress: Callable[[int, int], None] | None = None,
        poll_seconds: float = 0.2,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            job = self.request("GET", f"/jobs/{job_id}")
            if on_progress is not None:
                on_progress(int(job.get("progress_done") or 0), int(job.get("progress_total") or 0))
            if job.get("status") in TERMINAL_JOB_STATES:
                if job["status"] != "completed":
                    raise StudioError(f"job {job_id} {job['status']}: {job.get('error')}")
                return job
            if time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job.get('status')!r} after {timeout:.0f}s")
            time.sleep(poll_seconds)
