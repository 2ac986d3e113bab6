"""Whether sign-in is required: the safe default depends on where the studio listens."""

from __future__ import annotations

import ipaddress

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from video_seg_backend.core.config import Settings
from video_seg_backend.models import Role, User

CREATE_ADMIN_COMMAND = "python -m video_seg_backend create-admin --username NAME"


class AdminMissingError(RuntimeError):
    """Bound beyond loopback with no admin: anyone who reaches the port could do anything."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: assume it is reachable by others


def any_user(session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def auth_required(settings: Settings, session: Session) -> bool:
    if settings.auth != "auto":
        return settings.auth == "on"
    return not is_loopback(settings.host) or any_user(session)


def check_startup(settings: Settings, db: Engine) -> None:
    """Refuse to serve beyond loopback (or with VSS_AUTH=on) until an active admin exists."""
    if settings.auth == "off" or (settings.auth == "auto" and is_loopback(settings.host)):
        return
    with Session(db) as session:
        admin = session.exec(
            select(User.id).where(User.role == Role.admin.value, User.is_active == True).limit(1)  # noqa: E712
        ).first()
    if admin is None:
        where = f"VSS_HOST={settings.host}" if settings.auth == "auto" else "VSS_AUTH=on"
        raise AdminMissingError(
            f"Sign-in is required ({where}) and no admin account exists. Create one first: {CREATE_ADMIN_COMMAND}"
        )
