"""``python -m video_seg_backend``: the studio and its API on VSS_HOST:VSS_PORT (default localhost:3000)."""

from __future__ import annotations

import logging

import uvicorn

from video_seg_backend.core.config import get_settings


def main() -> None:
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from video_seg_backend.main import create_app

    # One process: the engines keep models and video states in memory, shared by every request.
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")


if __name__ == "__main__":
    main()
