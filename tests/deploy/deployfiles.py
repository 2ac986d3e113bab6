"""Readers for the deployment files, shaped like the tools that consume them.

No Docker engine runs where these tests run, so the compose files are read the way ``docker compose
config`` reads them (YAML with ``!reset``, ``${VAR:-default}`` interpolation, override files merged
over the base) and the Dockerfiles the way BuildKit splits them into stages and instructions.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself depends on tomli before 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE_CPU_FILE = REPO / "docker-compose.cpu.yml"


def pyproject() -> dict[str, Any]:
    """The ``[project]`` table of pyproject.toml."""
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


# ---- compose ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reset:
    """A value tagged ``!reset``: in an override file it replaces the base value instead of merging."""

    value: Any


class ComposeLoader(yaml.SafeLoader):
    pass


def _construct_reset(loader: yaml.SafeLoader, node: yaml.Node) -> Reset:
    if isinstance(node, yaml.MappingNode):
        return Reset(loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return Reset(loader.construct_sequence(node, deep=True))
    return Reset(loader.construct_scalar(node) or None)


ComposeLoader.add_constructor("!reset", _construct_reset)

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<default>[^}]*))?\})")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ``$$``, ``${VAR}``, ``${VAR:-default}`` and ``${VAR-default}`` on every string."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if isinstance(value, Reset):
        return Reset(interpolate(value.value, env))
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name = match["name"]
        if name is None:
            return "$"
        current = env.get(name)
        op = match["op"] or ""
        if op.endswith("?"):
            if current is None or (op == ":?" and current == ""):
                raise ValueError(f"required variable {name} is missing: {match['default']}")
            return current
        if op == ":-" and not current:
            return match["default"]
        if op == "-" and current is None:
            return match["default"]
        return current or ""

    return _VARIABLE.sub(substitute, value)


def strip_resets(value: Any) -> Any:
    """The document as written, with each ``!reset`` value in place of its tag."""
    if isinstance(value, Reset):
        return strip_resets(value.value)
    if isinstance(value, dict):
        return {key: strip_resets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [strip_resets(item) for item in value]
    return value


def merge(base: Any, override: Any) -> Any:
    """An override file over its base: mappings merge key by key, ``!reset`` and every other value
    replace. (Compose appends some sequences, such as ports; the override files here hold none.)"""
    if isinstance(override, Reset):
        return strip_resets(override.value)
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, item in override.items():
            merged[key] = merge(base[key], item) if key in base else strip_resets(item)
        return merged
    return strip_resets(override)


def load_compose_file(path: Path, env: dict[str, str] | None = None) -> Any:
    return interpolate(yaml.load(path.read_text(), Loader=ComposeLoader), env or {})


def load_compose(*paths: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """The effective model of ``docker compose -f a -f b config`` (before its own normalisation)."""
    model: Any = {}
    for path in paths:
        model = merge(model, load_compose_file(path, env))
    return model


# ---- Dockerfiles -----------------------------------------------------------------------------------------
@dataclass
class Instruction:
    keyword: str  # upper case: FROM, RUN, COPY, ...
    args: str  # the rest of the (continued) line

    @property
    def words(self) -> list[str]:
        return shlex.split(self.args, posix=True)

    def exec_form(self) -> list[str] | None:
        """The JSON array of CMD/ENTRYPOINT/RUN in exec form, None in shell form."""
        text = self.args.strip()
        return json.loads(text) if text.startswith("[") else None


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [ins for ins in self.instructions if ins.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """ENV key=value pairs, in order (later ones win)."""
        values: dict[str, str] = {}
        for ins in self.all("ENV"):
            for word in ins.words:
                key, _, value = word.partition("=")
                values[key] = value
        return values


@dataclass
class Dockerfile:
    path: Path
    global_args: dict[str, str]  # ARGs before the first FROM, with their defaults
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        return next(stage for stage in self.stages if stage.name == name)

    def resolve(self, text: str) -> str:
        """``${ARG}`` / ``$ARG`` in a FROM line, from the global ARG defaults."""
        return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: self.global_args.get(m[1], m[0]), text)


def logical_lines(text: str) -> list[str]:
    """Physical lines joined at trailing backslashes; comment and blank lines dropped, as BuildKit does
    (also inside a continued instruction)."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    assert not pending, "the last instruction ends with a line continuation"
    return lines


def parse_dockerfile(path: Path) -> Dockerfile:
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical_lines(path.read_text()):
        keyword, _, args = line.partition(" ")
        ins = Instruction(keyword.upper(), args.strip())
        if ins.keyword == "FROM":
            words = ins.words
            base = words[0] if not words[0].startswith("--") else words[1]
            name = words[-1] if len(words) >= 3 and words[-2].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages:
            assert ins.keyword == "ARG", f"{path.name}: only ARG may precede the first FROM, not {keyword}"
            key, _, default = ins.args.partition("=")
            global_args[key] = default.strip('"')
        else:
            stages[-1].instructions.append(ins)
    return Dockerfile(path, global_args, stages)
