"""Rules for values that come from outside (request bodies, imported files), shared by the API
models and the dataset importers so that both accept and refuse the same things."""

from __future__ import annotations

import re
import unicodedata

# SQLite (and Postgres BIGINT) integers are signed 64-bit: a larger id or frame number in a request
# would overflow in the database driver. Requests are held to 2**53 - 1, the largest integer a
# JavaScript client represents exactly (and a bound a JSON Schema float states without rounding).
INT_MAX = 2**53 - 1
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
LABEL_NAME_MAX = 100
PROJECT_NAME_MAX = 200


def clean_name(value: str, max_length: int, what: str = "name") -> str:
    """A display name as stored: NFC, trimmed, without control characters; refuses blank or long."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError(f"{what} must not be blank")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError(f"{what} must not contain control characters")
    if len(value) > max_length:
        raise ValueError(f"{what} must be at most {max_length} characters (it has {len(value)})")
    return value


def is_hex_color(value: object) -> bool:
    return isinstance(value, str) and HEX_COLOR.match(value) is not None
