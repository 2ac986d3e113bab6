"""Safe defaults: single-user on loopback, sign-in beyond it, and no serving without an admin."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.teams.conftest import ADMIN_PASSWORD, API
from video_seg_backend.__main__ import main as studio_command
from video_seg_backend.auth.mode import AdminMissingError
from video_seg_backend.core.config import get_settings
from video_seg_backend.main import create_app


def test_on_loopback_with_no_users_the_studio_works_without_sign_in(client: TestClient) -> None:
    assert client.get(f"{API}/auth/mode").json() == {"auth_required": False, "user": None}
    assert client.post(f"{API}/projects", json={"name": "p"}).status_code == 201
    assert [p["name"] for p in client.get(f"{API}/projects").json()] == ["p"]


def test_bound_beyond_loopback_without_an_admin_it_refuses_to_start_and_names_the_command(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, host="0.0.0.0")
    with pytest.raises(AdminMissingError, match="create-admin"):
        with TestClient(create_app(settings)):
            pass


def test_the_cli_creates_the_admin_and_then_every_request_needs_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(tmp_path, host="0.0.0.0")
    monkeypatch.setenv("VSS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("VSS_ADMIN_PASSWORD", ADMIN_PASSWORD)
    get_settings.cache_clear()
    try:
        studio_command(["create-admin", "--username", "Boss"])  # python -m video_seg_backend create-admin
    finally:
        get_settings.cache_clear()
    assert "Created admin 'boss'" in capsys.readouterr().out
    with TestClient(create_app(settings)) as client:
        assert client.get(f"{API}/health").status_code == 200  # the container's health check
        answer = client.get(f"{API}/projects")
        assert answer.status_code == 401 and answer.json() == {"detail": "Not signed in"}
        token = client.post(f"{API}/auth/login", data={"username": "boss", "password": ADMIN_PASSWORD})
        assert token.status_code == 200
    # The signing key was generated once, readable by the owner only.
    key = settings.data_dir / "secret_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_text()) > 40


def test_a_short_password_is_refused_by_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VSS_ADMIN_PASSWORD", "short")
    with pytest.raises(SystemExit, match="at least 8"):
        studio_command(["create-admin", "--username", "boss"])


def test_on_loopback_sign_in_turns_on_once_a_user_exists(client: TestClient, tmp_path: Path) -> None:
    admin = client.post(f"{API}/users", json={"username": "boss", "password": ADMIN_PASSWORD, "role": "admin"})
    assert admin.status_code == 201  # the implicit local user is the admin of a single-user studio
    assert client.get(f"{API}/projects").status_code == 401
    assert client.get(f"{API}/auth/mode").json()["auth_required"] is True


def test_vss_auth_off_keeps_the_studio_open_even_with_users(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, host="0.0.0.0", auth="off")
    with TestClient(create_app(settings)) as client:
        assert client.post(f"{API}/users", json={"username": "x", "password": ADMIN_PASSWORD}).status_code == 201
        assert client.get(f"{API}/projects").status_code == 200
