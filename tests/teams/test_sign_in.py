"""Accounts: sign in, who am I, sign out, password change, disabled users, rate limit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import jwt

from tests.teams.conftest import ADMIN_PASSWORD, API, Team, bearer


def test_sign_in_gives_a_token_and_an_http_only_cookie_that_both_work(team: Team) -> None:
    answer = team.client.post(f"{API}/auth/login", data={"username": "Admin", "password": ADMIN_PASSWORD})
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer" and answer.json()["expires_in"] == 30 * 60
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/api" in cookie
    # The cookie alone (as EventSource and <img> send it) is enough.
    assert team.client.get(f"{API}/auth/me").json()["username"] == "admin"
    team.client.cookies.clear()
    me = team.client.get(f"{API}/auth/me", headers=bearer(answer.json()["access_token"])).json()
    assert me["role"] == "admin" and "hashed_password" not in me


def test_a_wrong_password_and_an_unknown_name_answer_alike(team: Team) -> None:
    wrong = team.client.post(f"{API}/auth/login", data={"username": "admin", "password": "nope-nope"})
    unknown = team.client.post(f"{API}/auth/login", data={"username": "ghost", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "Incorrect user name or password"}


def test_sign_in_is_rate_limited_per_client_and_name(team: Team) -> None:
    for _ in range(team.settings.login_attempts_per_minute):
        assert (
            team.client.post(f"{API}/auth/login", data={"username": "admin", "password": "bad-guess"}).status_code
            == 401
        )
    blocked = team.client.post(f"{API}/auth/login", data={"username": "admin", "password": ADMIN_PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in blocked.json()["detail"]
    # Another name is not locked out by guesses at this one.
    team.add_user("ann", "annotator")


def test_sign_out_ends_every_token_of_the_user(team: Team) -> None:
    first = team.admin
    second = team.sign_in("admin", ADMIN_PASSWORD)
    assert team.client.post(f"{API}/auth/logout", headers=first).status_code == 204
    for headers in (first, second):
        answer = team.client.get(f"{API}/projects", headers=headers)
        assert answer.status_code == 401 and answer.json() == {"detail": "Invalid or expired token; sign in again"}


def test_a_password_change_keeps_this_session_and_ends_the_others(team: Team) -> None:
    _, old = team.add_user("ann", "annotator", "password-123")
    wrong = team.client.post(
        f"{API}/auth/password", json={"current_password": "nope", "new_password": "password-456"}, headers=old
    )
    assert wrong.status_code == 400
    changed = team.client.post(
        f"{API}/auth/password", json={"current_password": "password-123", "new_password": "password-456"}, headers=old
    )
    assert changed.status_code == 200
    team.client.cookies.clear()
    assert team.client.get(f"{API}/auth/me", headers=old).status_code == 401
    assert team.client.get(f"{API}/auth/me", headers=bearer(changed.json()["access_token"])).status_code == 200
    assert (
        team.client.post(f"{API}/auth/login", data={"username": "ann", "password": "password-123"}).status_code == 401
    )
    team.sign_in("ann", "password-456")


def test_an_admin_creates_and_disables_users_and_others_cannot(team: Team) -> None:
    ann_id, ann = team.add_user("ann", "annotator")
    assert team.client.post(
        f"{API}/users", json={"username": "ann", "password": "password-123"}, headers=team.admin
    ).status_code == 409  # fmt: skip
    assert team.client.get(f"{API}/users", headers=ann).status_code == 403
    assert team.client.post(
        f"{API}/users", json={"username": "eve", "password": "password-123", "role": "admin"}, headers=ann
    ).status_code == 403  # fmt: skip
    disabled = team.client.patch(f"{API}/users/{ann_id}", json={"is_active": False}, headers=team.admin)
    assert disabled.status_code == 200 and disabled.json()["is_active"] is False
    assert team.client.get(f"{API}/auth/me", headers=ann).status_code == 401
    assert (
        team.client.post(f"{API}/auth/login", data={"username": "ann", "password": "password-123"}).status_code == 401
    )
    assert [u["username"] for u in team.client.get(f"{API}/users", headers=team.admin).json()] == ["admin", "ann"]


def test_expired_and_forged_tokens_are_refused(team: Team) -> None:
    me = team.client.get(f"{API}/auth/me", headers=team.admin).json()
    past = datetime.now(timezone.utc) - timedelta(minutes=1)
    expired = jwt.encode({"sub": str(me["id"]), "ver": 0, "exp": past}, team.settings.secret_key, algorithm="HS256")
    future = datetime.now(timezone.utc) + timedelta(minutes=5)
    forged = jwt.encode({"sub": str(me["id"]), "ver": 0, "exp": future}, "another-key-of-enough-length-000", "HS256")
    for token in (expired, forged, "not-a-jwt"):
        answer = team.client.get(f"{API}/auth/me", headers=bearer(token))
        assert answer.status_code == 401 and answer.headers["www-authenticate"] == "Bearer"


def test_the_mode_tells_the_studio_whether_to_show_sign_in(team: Team) -> None:
    assert team.client.get(f"{API}/auth/mode").json() == {"auth_required": True, "user": None}
    assert team.client.get(f"{API}/auth/mode", headers=team.admin).json()["user"]["username"] == "admin"
