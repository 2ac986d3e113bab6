"""The Dockerfiles: reproducible (pinned bases and packages), multi-stage, non-root, and every file they
copy present in the build context that .dockerignore leaves."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .deployfiles import REPO, Dockerfile, parse_dockerfile, pyproject

DOCKERFILES = sorted((REPO / "docker").glob("*.Dockerfile"))
CONSTRAINTS = REPO / "docker" / "constraints.txt"


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether .dockerignore keeps ``path`` (relative, with /) out of the context: the last pattern that
    matches the path or one of its parent folders decides, ``!`` lets it back in."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        candidates = {pattern, pattern.removeprefix("**/")}
        if any(fnmatch.fnmatchcase(prefix, cand) for prefix in prefixes for cand in candidates):
            ignored = not negated
    return ignored


def dockerignore_patterns() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_dockerignore_reading_matches_docker():
    patterns = ["*", "!src", "src/node_modules", "**/__pycache__"]
    assert dockerignored(".venv/bin/python", patterns)
    assert not dockerignored("src/main.py", patterns)
    assert dockerignored("src/node_modules/x/index.js", patterns)
    assert dockerignored("src/pkg/__pycache__/a.pyc", patterns)


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_copied_files_exist_in_the_build_context(path):
    patterns = dockerignore_patterns()
    dockerfile = parse_dockerfile(path)
    copies = [ins for stage in dockerfile.stages for ins in stage.all("COPY") + stage.all("ADD")]
    assert copies
    for ins in copies:
        words = ins.words
        if any(word.startswith("--from=") for word in words):
            continue
        sources = [word for word in words if not word.startswith("--")][:-1]
        for source in sources:
            assert (REPO / source).exists(), f"{path.name}: COPY {source}: no such file in the repository"
            assert not dockerignored(source.rstrip("/"), patterns), f"{path.name}: .dockerignore drops {source}"


def test_context_leaves_out_local_state():
    """The context is the checkout: venvs, data, checkpoints and node_modules stay on this machine."""
    patterns = dockerignore_patterns()
    for path in (".venv", "data", "checkpoints", ".git", "video_seg_frontend/node_modules", "tests"):
        assert dockerignored(path, patterns), path


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_base_images_are_pinned_to_exact_versions(path):
    dockerfile = parse_dockerfile(path)
    stage_names = {stage.name for stage in dockerfile.stages}
    for stage in dockerfile.stages:
        base = dockerfile.resolve(stage.base)
        if base in stage_names:
            continue
        assert re.search(r":[^:/]*\d+\.\d+\.\d+[^:/]*$", base), f"{path.name}: {base} is not pinned to x.y.z"


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_final_image_is_multi_stage_non_root_and_without_build_tools(path):
    dockerfile = parse_dockerfile(path)
    assert len(dockerfile.stages) >= 2
    final = dockerfile.final
    user = final.last("USER")
    assert user is not None and user.args.split(":")[0] not in {"root", "0"}, f"{path.name} runs as root"
    for ins in final.all("RUN"):
        assert not re.search(r"\b(apt-get|apk|pip|npm)\b.*\b(install|add|ci)\b", ins.args), (
            f"{path.name}: the final stage installs software: {ins.args}"
        )
    copied_from = {word.split("=", 1)[1] for ins in final.all("COPY") for word in ins.words if "--from=" in word}
    builders = {stage.name for stage in dockerfile.stages[:-1]}
    assert copied_from <= builders, "only build results come from other stages"


def _install_lines(dockerfile: Dockerfile) -> list[str]:
    runs = [ins.args for stage in dockerfile.stages for ins in stage.all("RUN")]
    return [part for run in runs for part in re.split(r"&&|;", run) if re.search(r"\bpip install\b", part)]


def test_every_pip_install_is_constrained(backend_dockerfile):
    lines = _install_lines(backend_dockerfile)
    assert lines
    for line in lines:
        assert "-c /tmp/constraints.txt" in line, f"unpinned: {line.strip()}"
    assert "COPY docker/constraints.txt /tmp/constraints.txt" in {
        f"COPY {ins.args}" for stage in backend_dockerfile.stages for ins in stage.all("COPY")
    }


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in CONSTRAINTS.read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: {line} is not an exact pin"
            pins[canonicalize_name(name)] = version
    return pins


def test_constraints_pin_every_dependency_at_a_version_pyproject_accepts():
    """A dependency added to pyproject.toml without regenerating docker/constraints.txt would float."""
    project = pyproject()
    pins = _pins()
    required = [
        *project["dependencies"],
        *project["optional-dependencies"]["sam2"],
        "sam2",
        "pip",
        "setuptools",
    ]
    for spec in map(Requirement, required):
        name = canonicalize_name(spec.name)
        assert name in pins, f"{spec.name} is not pinned: run python docker/make_constraints.py"
        assert spec.specifier.contains(pins[name], prereleases=True), f"{name}=={pins[name]} violates {spec}"
    for test_only in ("pytest", "ruff", "mypy"):
        assert test_only not in pins, f"{test_only} is a test tool, not an image dependency"


def test_constraints_match_the_venv():
    """Regenerating from the venv the tests run in changes nothing (the image runs what was tested)."""
    pytest.importorskip("sam2", reason="sam2 is not installed in this environment: no venv to compare with")
    result = subprocess.run(
        [sys.executable, str(REPO / "docker" / "make_constraints.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_frontend_installs_from_the_lock_file(frontend_dockerfile):
    runs = [ins.args for ins in frontend_dockerfile.stage("build").all("RUN")]
    assert "npm install --no-audit --no-fund" in runs
    # the lock file is in the image before the install, so the locked versions are what install
    copies = [ins.args for ins in frontend_dockerfile.stage("build").all("COPY")]
    assert any("package-lock.json" in c for c in copies)
    assert (REPO / "video_seg_frontend" / "package-lock.json").is_file()
    # the static build lands where the nginx stage copies it from
    svelte_config = (REPO / "video_seg_frontend" / "svelte.config.js").read_text()
    assert "pages: 'build'" in svelte_config
    copy = next(ins for ins in frontend_dockerfile.final.all("COPY") if "--from=build" in ins.args)
    assert copy.words[1:] == ["/app/build", "/usr/share/nginx/html"]


def test_baked_checkpoint_defaults_to_a_model_the_backend_knows(backend_dockerfile, compose):
    from video_seg_backend.engine.checkpoints import SAM2_BY_KEY

    args = dict(ins.args.split("=", 1) for ins in backend_dockerfile.stage("checkpoint").all("ARG"))
    assert args["BAKE_CHECKPOINT"] == "0", "the default build downloads nothing"
    assert args["SAM2_MODEL"] in SAM2_BY_KEY
    compose_args = compose["services"]["api"]["build"]["args"]
    assert compose_args == {"BAKE_CHECKPOINT": "0", "SAM2_MODEL": args["SAM2_MODEL"]}
