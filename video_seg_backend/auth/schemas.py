"""API shapes of accounts: requests refuse unknown fields, answers never carry a hash."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints
from sqlmodel import Field, SQLModel

from video_seg_backend.auth.passwords import PASSWORD_MIN
from video_seg_backend.models import RequestModel, Role

Username = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=64, pattern=r"^[\w.@-]+$")
]
Password = Annotated[str, StringConstraints(min_length=PASSWORD_MIN, max_length=256)]


class UserPublic(SQLModel):
    id: int
    username: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: datetime


class UserCreate(RequestModel):
    username: Username
    password: Password
    role: Role = Role.annotator
    full_name: str | None = Field(default=None, max_length=200)


class UserUpdate(RequestModel):
    # Optional, not nullable: leave a field out to keep it.
    role: Role = Field(default=None)
    is_active: bool = Field(default=None, description="false disables the account and signs it out everywhere")
    full_name: str | None = Field(default=None, max_length=200)
    password: Password = Field(default=None, description="A new password set by the admin; signs the user out")


class PasswordChange(RequestModel):
    current_password: str = Field(max_length=256)
    new_password: Password


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the token expires")


class AuthMode(SQLModel):
    """What the studio needs before it draws: is a sign-in page needed, and who is signed in."""

    auth_required: bool
    user: UserPublic | None = None


class MemberPublic(SQLModel):
    user_id: int
    username: str
    full_name: str | None
    role: Role
