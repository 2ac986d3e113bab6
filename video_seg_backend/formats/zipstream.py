"""Write exported files into a ZIP without holding the archive in memory.

zipfile writes to a non-seekable stream (it then uses data descriptors), so the archive can be
produced chunk by chunk for a streaming HTTP response.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from typing import IO

from .base import FileContent

# Frames and PNG masks are already compressed; deflating them again costs CPU for nothing.
_STORED_SUFFIXES = (".jpg", ".jpeg", ".png")
# Fixed timestamps make the same project export to the same bytes.
_DATE_TIME = (2020, 1, 1, 0, 0, 0)


def _entry_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE_TIME)
    info.compress_type = zipfile.ZIP_STORED if name.lower().endswith(_STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _chunks(content: FileContent) -> Iterable[bytes]:
    return (content,) if isinstance(content, bytes | bytearray) else content


def write_zip(files: Iterable[tuple[str, FileContent]], fileobj: IO[bytes]) -> None:
    """Write every (name, content) into a ZIP on `fileobj` (a file, BytesIO or any writer)."""
    with zipfile.ZipFile(fileobj, "w") as archive:
        for name, content in files:
            with archive.open(_entry_info(name), "w") as entry:
                for chunk in _chunks(content):
                    entry.write(chunk)


class _ChunkSink:
    """Write-only stream that keeps what zipfile wrote until the generator hands it on."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def stream_zip(files: Iterable[tuple[str, FileContent]], chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The ZIP of `files` as chunks of about `chunk_size` bytes, e.g. for a StreamingResponse.

    Memory stays at about one chunk plus one piece of an entry, however large the export.
    """
    sink = _ChunkSink()
    with zipfile.ZipFile(sink, "w") as archive:  # type: ignore[call-overload]
        for name, content in files:
            with archive.open(_entry_info(name), "w") as entry:
                for piece in _chunks(content):
                    entry.write(piece)
                    if len(sink.buffer) >= chunk_size:
                        yield sink.take()
            if len(sink.buffer) >= chunk_size:
                yield sink.take()
    if sink.buffer:
        yield sink.take()
