"""Who is asking: a signed-in user, or the implicit local user when sign-in is off."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from video_seg_backend.models import Role


@dataclass(frozen=True)
class Principal:
    id: int | None  # None: the implicit local user of a single-user studio
    username: str
    role: Role

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


LOCAL_USER = Principal(id=None, username="local", role=Role.admin)
# A public route (sign-in, health) called without a valid token while sign-in is on.
ANONYMOUS = Principal(id=None, username="", role=Role.annotator)

# Set per request by the access check; read by the history writer deep inside the services, so
# that attribution needs no user argument threaded through every service call.
current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)
