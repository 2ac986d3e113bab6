"""Plain-text tables and JSON output for the evaluation scripts (no dependency beyond the stdlib)."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["format_table", "write_json"]


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def format_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], digits: int = 3) -> str:
    """Rows of dicts as an aligned text table; numbers right-aligned, ``digits`` decimals."""
    cells = [[_cell(row.get(column, ""), digits) for column in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row.get(c), int | float) for row in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None  # JSON has no NaN; null reads as "not defined" everywhere
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return value


def write_json(data: Any, destination: str | Path) -> None:
    """Write ``data`` as indented JSON to a file, or to stdout when ``destination`` is ``-``."""
    text = json.dumps(_plain(data), indent=2)
    if str(destination) == "-":
        sys.stdout.write(text + "\n")
    else:
        Path(destination).write_text(text + "\n")
