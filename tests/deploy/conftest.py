"""Fixtures: the deployment files, read once per session."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .deployfiles import COMPOSE_CPU_FILE, COMPOSE_FILE, REPO, Dockerfile, load_compose, parse_dockerfile


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_compose(COMPOSE_FILE)


@pytest.fixture(scope="session")
def compose_cpu() -> dict[str, Any]:
    return load_compose(COMPOSE_FILE, COMPOSE_CPU_FILE)


@pytest.fixture(scope="session")
def compose_schema() -> dict[str, Any]:
    """The Compose Specification's JSON schema, as vendored (and kept current) by check-jsonschema."""
    pytest.importorskip("jsonschema", reason="jsonschema is not installed (pip install check-jsonschema)")
    vendor = pytest.importorskip(
        "check_jsonschema.builtin_schemas.vendor",
        reason="check-jsonschema (it ships compose-spec.json) is not installed: pip install check-jsonschema",
    )
    from importlib.resources import files

    return json.loads((files(vendor) / "compose-spec.json").read_text())


@pytest.fixture(scope="session")
def backend_dockerfile() -> Dockerfile:
    return parse_dockerfile(REPO / "docker" / "backend.Dockerfile")


@pytest.fixture(scope="session")
def frontend_dockerfile() -> Dockerfile:
    return parse_dockerfile(REPO / "docker" / "frontend.Dockerfile")
