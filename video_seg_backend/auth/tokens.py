"""Short-lived signed access tokens (JWT, HS256) carrying the user id and token version."""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt

from video_seg_backend.core.config import Settings

ALGORITHM = "HS256"
# The browser sends this cookie with EventSource and <img src>, which cannot carry a header.
COOKIE_NAME = "vss_token"


def secret_key(settings: Settings) -> str:
    """The signing key: VSS_SECRET_KEY, else one generated once into data_dir (mode 0600)."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting together keep the first one's key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def create_access_token(key: str, user_id: int, token_version: int, minutes: int) -> str:
    expire = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    return jwt.encode({"sub": str(user_id), "ver": token_version, "exp": expire}, key, algorithm=ALGORITHM)


def decode_access_token(key: str, token: str) -> tuple[int, int] | None:
    """(user id, token version), or None for a token that is forged, expired or malformed."""
    try:
        payload = jwt.decode(token, key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
        return int(payload["sub"]), int(payload.get("ver", -1))
    except (jwt.PyJWTError, ValueError, TypeError, KeyError):
        return None
