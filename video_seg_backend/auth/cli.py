"""``python -m video_seg_backend create-admin --username NAME`` (``__main__.py``): the first admin
account, without which a studio bound beyond loopback refuses to start. The password is read from
VSS_ADMIN_PASSWORD or asked for (never an argument: it would stay in the shell history)."""

from __future__ import annotations

import getpass
import os

from sqlmodel import Session

from video_seg_backend.auth.passwords import PASSWORD_MIN, hash_password
from video_seg_backend.auth.users import create_user, user_by_name
from video_seg_backend.core.config import Settings, get_settings
from video_seg_backend.core.db import build_db_engine, init_db
from video_seg_backend.models import Role


def read_password() -> str:
    password = os.environ.get("VSS_ADMIN_PASSWORD")
    if password is None:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            raise SystemExit("The passwords differ")
    if len(password) < PASSWORD_MIN:
        raise SystemExit(f"A password has at least {PASSWORD_MIN} characters")
    return password


def create_admin(username: str, password: str, settings: Settings | None = None) -> str:
    """Create the admin, or make an existing account an active admin with this password."""
    db = build_db_engine(settings or get_settings())
    init_db(db)
    try:
        with Session(db) as session:
            user = user_by_name(session, username)
            if user is None:
                create_user(session, username, password, Role.admin)
                return f"Created admin {username.strip().lower()!r}"
            user.role, user.is_active = Role.admin.value, True
            user.hashed_password = hash_password(password)
            user.token_version += 1
            session.add(user)
            session.commit()
            return f"Updated {user.username!r}: an active admin with the new password"
    finally:
        db.dispose()
