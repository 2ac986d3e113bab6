"""Where files live, and writing them so that a crash never leaves half a file under a real name.

Layout under ``data_dir``::

    media/<project_id>/<storage_key>/original.<ext>   the uploaded file, as uploaded
    media/<project_id>/<storage_key>/frames/00000.jpg  decoded frames (images: one frame)
    media/<project_id>/<storage_key>/thumbnail.jpg
    tmp/                                               uploads in flight

The storage key is a random hex name, never derived from the uploaded file name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FRAME_NAME = "{:05d}.jpg"


class StorageLayout:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.media_root = data_dir / "media"
        self.tmp_dir = data_dir / "tmp"

    def ensure(self) -> None:
        self.media_root.mkdir(parents=True, exist_ok=True)
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def project_dir(self, project_id: int) -> Path:
        return self.media_root / str(project_id)

    def media_dir(self, project_id: int, storage_key: str) -> Path:
        return self.project_dir(project_id) / storage_key

    def frames_dir(self, project_id: int, storage_key: str) -> Path:
        return self.media_dir(project_id, storage_key) / "frames"

    def frame_path(self, project_id: int, storage_key: str, index: int) -> Path:
        return self.frames_dir(project_id, storage_key) / FRAME_NAME.format(index)

    def thumbnail_path(self, project_id: int, storage_key: str) -> Path:
        return self.media_dir(project_id, storage_key) / "thumbnail.jpg"

    @staticmethod
    def new_storage_key() -> str:
        return uuid.uuid4().hex

    def temp_path(self, suffix: str = "") -> Path:
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        return self.tmp_dir / f"{uuid.uuid4().hex}{suffix}.part"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary name beside ``path`` and rename: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def staged_dir(final: Path) -> Iterator[Path]:
    """A temporary folder beside ``final`` that becomes ``final`` only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}-"))
    try:
        yield tmp
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
