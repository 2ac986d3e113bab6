"""Sign-in (OAuth2 password flow), sign-out, the signed-in user and their password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from video_seg_backend.api.deps import CurrentUserDep, SessionDep, SettingsDep, SignedInDep
from video_seg_backend.auth.mode import auth_required
from video_seg_backend.auth.passwords import hash_password, verify_password
from video_seg_backend.auth.ratelimit import LoginLimiter
from video_seg_backend.auth.schemas import AuthMode, PasswordChange, Token, UserPublic
from video_seg_backend.auth.tokens import COOKIE_NAME, create_access_token, secret_key
from video_seg_backend.auth.users import invalidate_tokens, user_by_name
from video_seg_backend.core.config import Settings
from video_seg_backend.models import User

router = APIRouter(prefix="/auth", tags=["auth"])
BAD_CREDENTIALS = "Incorrect user name or password"


def _limiter(request: Request, settings: Settings) -> LoginLimiter:
    limiter = getattr(request.app.state, "login_limiter", None)
    if limiter is None:
        limiter = request.app.state.login_limiter = LoginLimiter(settings.login_attempts_per_minute)
    return limiter  # type: ignore[no-any-return]


def _issue(response: Response, request: Request, settings: Settings, user: User) -> Token:
    assert user.id is not None
    token = create_access_token(secret_key(settings), user.id, user.token_version, settings.access_token_minutes)
    max_age = settings.access_token_minutes * 60
    # HttpOnly: page scripts cannot read it; Strict: no other site's page sends it.
    response.set_cookie(
        COOKIE_NAME, token, max_age=max_age, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", path="/api",
    )  # fmt: skip
    return Token(access_token=token, expires_in=max_age)


@router.get("/mode", response_model=AuthMode)
def auth_mode(*, session: SessionDep, settings: SettingsDep, user: CurrentUserDep) -> AuthMode:
    """Whether sign-in is required, and who is signed in (none for the implicit local user)."""
    account = session.get(User, user.id) if user.id is not None else None
    return AuthMode(
        auth_required=auth_required(settings, session),
        user=UserPublic.model_validate(account) if account is not None else None,
    )


@router.post("/login", response_model=Token)
def login(
    *,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Sign in with user name and password: a short-lived bearer token, also set as an HttpOnly
    cookie for the requests a browser cannot add a header to (event stream, images)."""
    client = request.client.host if request.client else "?"
    limiter = _limiter(request, settings)
    wait = limiter.retry_after(client, form.username)
    if wait is not None:
        raise HTTPException(
            status_code=429, detail=f"Too many failed sign-ins; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )  # fmt: skip
    user = user_by_name(session, form.username)
    valid = verify_password(form.password, user.hashed_password if user else None)
    if user is None or not valid or not user.is_active:
        limiter.failed(client, form.username)
        raise HTTPException(status_code=401, detail=BAD_CREDENTIALS, headers={"WWW-Authenticate": "Bearer"})
    limiter.succeeded(client, form.username)
    return _issue(response, request, settings, user)


@router.post("/logout", status_code=204)
def logout(*, response: Response, session: SessionDep, user: SignedInDep) -> None:
    """Sign out everywhere: every token issued to this user so far stops working."""
    account = session.get(User, user.id)
    assert account is not None
    invalidate_tokens(session, account)
    session.commit()
    response.delete_cookie(COOKIE_NAME, path="/api")


@router.get("/me", response_model=UserPublic)
def me(*, session: SessionDep, user: SignedInDep) -> User:
    """The signed-in user."""
    account = session.get(User, user.id)
    assert account is not None
    return account


@router.post("/password", response_model=Token)
def change_password(
    *, request: Request, response: Response, session: SessionDep, settings: SettingsDep, user: SignedInDep,
    body: PasswordChange,
) -> Token:  # fmt: skip
    """Change one's own password: other sessions are signed out, this one gets a new token."""
    account = session.get(User, user.id)
    assert account is not None
    if not verify_password(body.current_password, account.hashed_password):
        raise HTTPException(status_code=400, detail="The current password is wrong")
    account.hashed_password = hash_password(body.new_password)
    invalidate_tokens(session, account)
    session.commit()
    session.refresh(account)
    return _issue(response, request, settings, account)
