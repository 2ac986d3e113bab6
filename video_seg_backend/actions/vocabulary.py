"""An action vocabulary from an AVA label map (``.pbtxt``) or a CSV, checked whole before use.

AVA's ``ava_action_list_v2.2.pbtxt`` holds ``label { name: "..." label_id: N label_type: T }``;
mmaction2's own maps write ``item { name: "..." id: N }``. Both are read. AVA's pose actions
(``PERSON_MOVEMENT``) exclude each other: a person stands or sits, not both.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from video_seg_backend.core.validation import LABEL_NAME_MAX

EXCLUSIVE_TYPES = {"PERSON_MOVEMENT"}
_BLOCK = re.compile(r"\b(?:label|item)\s*\{(?P<body>[^{}]*)\}", re.S)
_FIELD = re.compile(r"(?P<key>\w+)\s*:\s*(?:\"(?P<text>(?:[^\"\\]|\\.)*)\"|(?P<word>[-\w.]+))")


class VocabularyError(ValueError):
    """A label map or vocabulary that cannot be used; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ActionEntry:
    action_id: int
    name: str
    group: str | None = None
    exclusive: bool = False


def parse_label_map(text: str) -> list[ActionEntry]:
    """Entries of a ``.pbtxt`` label map, in file order."""
    entries: list[ActionEntry] = []
    problems: list[str] = []
    for number, block in enumerate(_BLOCK.finditer(text), start=1):
        fields = {m["key"]: m["text"] if m["text"] is not None else m["word"] for m in _FIELD.finditer(block["body"])}
        raw_id = fields.get("label_id", fields.get("id"))
        name = (fields.get("name") or fields.get("display_name") or "").strip()
        if raw_id is None or not raw_id.isdigit():
            problems.append(f"entry {number} ('{name}') has no numeric id or label_id")
            continue
        group = fields.get("label_type")
        entries.append(ActionEntry(int(raw_id), name, group, group in EXCLUSIVE_TYPES))
    if not entries and not problems:
        problems.append("no 'label { ... }' or 'item { ... }' entries found; expected an AVA label map (.pbtxt)")
    if problems:
        raise VocabularyError(problems)
    return check_entries(entries)


def parse_csv(text: str) -> list[ActionEntry]:
    """Rows ``id,name[,group[,exclusive]]``; a header row (``id,name,...``) is optional."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row and any(cell.strip() for cell in row)]
    if rows and not rows[0][0].strip().isdigit():
        rows = rows[1:]  # a header
    entries: list[ActionEntry] = []
    problems: list[str] = []
    for line, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if len(cells) < 2 or not cells[0].isdigit():
            problems.append(f"row {line} {row!r}: expected id,name[,group[,exclusive]] with a numeric id")
            continue
        group = cells[2] if len(cells) > 2 and cells[2] else None
        exclusive = len(cells) > 3 and cells[3].lower() in ("1", "true", "yes", "exclusive")
        entries.append(ActionEntry(int(cells[0]), cells[1], group, exclusive))
    if not entries and not problems:
        problems.append("the CSV holds no rows; expected id,name[,group[,exclusive]]")
    if problems:
        raise VocabularyError(problems)
    return check_entries(entries)


def check_entries(entries: list[ActionEntry]) -> list[ActionEntry]:
    """Ids from 1, unique ids and names, names as label names are (1-100 characters)."""
    problems: list[str] = []
    ids: dict[int, str] = {}
    names: set[str] = set()
    for entry in entries:
        if entry.action_id < 1:
            problems.append(f"'{entry.name}' has id {entry.action_id}; ids start at 1")
        if not entry.name or len(entry.name) > LABEL_NAME_MAX:
            problems.append(f"id {entry.action_id}: a name needs 1 to {LABEL_NAME_MAX} characters")
        if entry.action_id in ids:
            problems.append(f"id {entry.action_id} is used twice ('{ids[entry.action_id]}' and '{entry.name}')")
        if entry.name in names:
            problems.append(f"the name '{entry.name}' is used twice")
        ids.setdefault(entry.action_id, entry.name)
        names.add(entry.name)
    if problems:
        raise VocabularyError(problems)
    return entries


def write_label_map(entries: list[ActionEntry]) -> str:
    """AVA's label map layout, which mmaction2's ``read_labelmap`` reads (``name`` then ``label_id``)."""
    out = []
    for entry in sorted(entries, key=lambda e: e.action_id):
        name = entry.name.replace("\\", "\\\\").replace('"', '\\"')
        lines = ["label {", f'  name: "{name}"', f"  label_id: {entry.action_id}"]
        if entry.group:
            lines.append(f"  label_type: {entry.group}")
        out.append("\n".join([*lines, "}"]))
    return "\n".join(out) + "\n"


def check_action_set(actions: list[int], vocabulary: list[ActionEntry]) -> list[str]:
    """Problems with one person-second's set of action ids (unknown ids, two exclusive of a group)."""
    by_id = {entry.action_id: entry for entry in vocabulary}
    problems = [f"action {a} is not in the project's vocabulary" for a in actions if a not in by_id]
    if len(set(actions)) != len(actions):
        problems.append("an action is listed twice")
    exclusive: dict[str | None, list[str]] = {}
    for a in actions:
        entry = by_id.get(a)
        if entry is not None and entry.exclusive:
            exclusive.setdefault(entry.group, []).append(entry.name)
    for group, names in exclusive.items():
        if len(names) > 1:
            problems.append(f"{' and '.join(repr(n) for n in names)} exclude each other (group {group})")
    return problems
