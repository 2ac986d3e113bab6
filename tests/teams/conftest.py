"""A studio with sign-in on, an admin, and helpers to sign people in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from video_seg_backend.auth.cli import create_admin
from video_seg_backend.core.config import Settings
from video_seg_backend.main import create_app

API = "/api/v1"
ADMIN_PASSWORD = "admin-password-1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Team:
    client: TestClient
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def sign_in(self, username: str, password: str) -> dict[str, str]:
        answer = self.client.post(f"{API}/auth/login", data={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        # Tests say which identity each request uses: the cookie the client just stored would
        # otherwise silently sign in every later request.
        self.client.cookies.clear()
        self.tokens[username] = answer.json()["access_token"]
        return bearer(self.tokens[username])

    @property
    def admin(self) -> dict[str, str]:
        return bearer(self.tokens["admin"])

    def add_user(self, username: str, role: str, password: str = "password-123") -> tuple[int, dict[str, str]]:
        made = self.client.post(
            f"{API}/users", json={"username": username, "password": password, "role": role}, headers=self.admin
        )
        assert made.status_code == 201, made.text
        return made.json()["id"], self.sign_in(username, password)

    def add_member(self, project_id: int, user_id: int) -> None:
        answer = self.client.put(f"{API}/projects/{project_id}/members/{user_id}", headers=self.admin)
        assert answer.status_code == 204, answer.text

    def project(self, name: str) -> int:
        answer = self.client.post(f"{API}/projects", json={"name": name}, headers=self.admin)
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])


def team_settings(tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(tmp_path, auth="on", secret_key="test-secret-key-long-enough-for-hs256-0123", **overrides)


@pytest.fixture
def team(tmp_path: Path) -> Iterator[Team]:
    settings = team_settings(tmp_path)
    create_admin("admin", ADMIN_PASSWORD, settings)
    with TestClient(create_app(settings)) as client:
        t = Team(client, settings)
        t.sign_in("admin", ADMIN_PASSWORD)
        yield t
