"""The studio's API client is generated from the committed OpenAPI document: that document must be
the one the backend serves, so that a renamed field fails here (and in svelte-check), not for a user."""

from __future__ import annotations

import json
from pathlib import Path

from video_seg_backend.main import create_app

COMMITTED = Path(__file__).resolve().parents[1] / "video_seg_frontend" / "openapi.json"


def test_the_committed_openapi_document_is_what_the_backend_serves(settings) -> None:  # type: ignore[no-untyped-def]
    served = create_app(settings).openapi()
    committed = json.loads(COMMITTED.read_text())
    assert committed == served, "video_seg_frontend/openapi.json is stale: run `npm run gen:api` in video_seg_frontend"
