"""The package's layers point one way: ``core/`` is what services, jobs and routes are built on."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import video_seg_backend

PACKAGE = Path(video_seg_backend.__file__).parent
ABOVE_CORE = ("video_seg_backend.services", "video_seg_backend.jobs", "video_seg_backend.api")


def imported_modules(source: str, package: str) -> set[str]:
    """Every module that code in ``package`` imports (relative imports resolved, imports under
    ``TYPE_CHECKING`` or inside functions included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((PACKAGE / "core").glob("*.py")), ids=lambda p: p.name)
def test_core_imports_nothing_from_the_layers_above_it(path):
    above = sorted(m for m in imported_modules(path.read_text(), "video_seg_backend.core") if m.startswith(ABOVE_CORE))
    assert above == [], f"core/{path.name} imports {above}"


def test_the_check_sees_absolute_relative_and_deferred_imports():
    source = (
        "from ..services import crud\n"
        "import video_seg_backend.jobs.worker\n"
        "from . import config\n"
        "def later():\n    from video_seg_backend.api.state import AppState\n"
    )
    found = imported_modules(source, "video_seg_backend.core")
    assert [m for m in sorted(found) if m.startswith(ABOVE_CORE)] == [
        "video_seg_backend.api.state",
        "video_seg_backend.api.state.AppState",
        "video_seg_backend.jobs.worker",
        "video_seg_backend.services",
        "video_seg_backend.services.crud",
    ]
    assert "video_seg_backend.core.config" in found
