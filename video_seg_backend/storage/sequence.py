"""Image sequences as video: a ZIP of numbered JPEG/PNG frames becomes one video's frames.

Accepted layouts (the frames are found by path, the masks beside them are ignored):
DAVIS ``JPEGImages/480p/<seq>/00000.jpg``, MiVOS ``JPEGImages/<seq>/00000.jpg``, the per-sequence
``<seq>/JPEGImages/00000.jpg`` of our shared data, and a flat folder (or the ZIP's root).
Member names are only read, never used as paths on disk.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from video_seg_backend.storage.files import FRAME_NAME, staged_dir
from video_seg_backend.storage.video import encode_jpeg

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png")
# A frame larger than this (compressed or not) is a zip bomb, not a video frame.
MAX_FRAME_BYTES = 256 * 1024 * 1024
MAX_FRAME_PIXELS = 8192 * 8192


class BadSequence(ValueError):
    """The ZIP or the set of images is not one sequence of equal-sized frames; says which part is wrong."""


@dataclass(frozen=True)
class SequenceProbe:
    frames: list[str]  # member names in play order
    width: int
    height: int


def natural_key(name: str) -> list[object]:
    """``frame2`` before ``frame10``: digit runs compare as numbers, the rest case-insensitively."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in re.split(r"(\d+)", name)]


def _is_frame(name: str) -> bool:
    path = PurePosixPath(name)
    hidden = any(part.startswith(".") or part == "__MACOSX" for part in path.parts)
    return not hidden and path.suffix.lower() in FRAME_SUFFIXES


def frame_members(archive: zipfile.ZipFile, display_name: str) -> list[str]:
    """The frame members of one sequence, naturally sorted. Raises ``BadSequence``."""
    names = [info.filename for info in archive.infolist() if not info.is_dir() and _is_frame(info.filename)]
    in_images = [n for n in names if "JPEGImages" in PurePosixPath(n).parts]
    if in_images:  # DAVIS / MiVOS: Annotations/ holds PNG masks that are not frames
        names = in_images
    if not names:
        raise BadSequence(f"'{display_name}' holds no JPEG or PNG frames; upload a ZIP of numbered frames.")
    folders: dict[str, list[str]] = {}
    for name in names:
        folders.setdefault(str(PurePosixPath(name).parent), []).append(name)
    if len(folders) > 1:
        listed = ", ".join(sorted(folders, key=natural_key)[:5])
        raise BadSequence(
            f"'{display_name}' holds frames in {len(folders)} folders ({listed}); upload one sequence per ZIP."
        )
    (frames,) = folders.values()
    return sorted(frames, key=lambda n: natural_key(PurePosixPath(n).name))


def probe_sequence(path: Path, display_name: str) -> SequenceProbe:
    """Decode every frame once: all readable PNG/JPEG of one size, else ``BadSequence`` naming the
    first frame that is not (DAVIS car-turn, 80 frames of 854x480: 0.5 s on 2 cores)."""
    try:
        with zipfile.ZipFile(path) as archive:
            frames = frame_members(archive, display_name)
            sizes: list[tuple[str, tuple[int, int]]] = []
            for name in frames:
                info = archive.getinfo(name)
                if info.file_size > MAX_FRAME_BYTES:
                    raise BadSequence(f"Frame '{name}' in '{display_name}' is larger than a frame can be.")
                sizes.append((name, _frame_size(archive, name, display_name)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise BadSequence(f"'{display_name}' is not a readable ZIP ({exc}).") from exc
    return _same_size(sizes, display_name)


def _frame_size(archive: zipfile.ZipFile, name: str, display_name: str) -> tuple[int, int]:
    try:
        with archive.open(name) as handle, Image.open(handle) as image:
            if image.format not in ("PNG", "JPEG"):
                raise BadSequence(f"Frame '{name}' in '{display_name}' is {image.format}, not PNG or JPEG.")
            width, height = image.size
            if width * height > MAX_FRAME_PIXELS:
                raise BadSequence(
                    f"Frame '{name}' in '{display_name}' is {width}x{height}, larger than a frame can be."
                )
            image.load()  # a truncated frame fails here, at upload, not later while decoding
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, BadSequence):
            raise
        raise BadSequence(f"Frame '{name}' in '{display_name}' is not a readable PNG or JPEG image.") from exc
    return width, height


def _same_size(sizes: list[tuple[str, tuple[int, int]]], display_name: str) -> SequenceProbe:
    # The size most frames share is the sequence's; the first frame that differs is named.
    counts: dict[tuple[int, int], int] = {}
    for _name, size in sizes:
        counts[size] = counts.get(size, 0) + 1
    common = max(counts, key=lambda s: counts[s])
    for name, size in sizes:
        if size != common:
            raise BadSequence(
                f"Frame '{name}' in '{display_name}' is {size[0]}x{size[1]}, but the other frames are "
                f"{common[0]}x{common[1]}: every frame of a sequence must have the same size."
            )
    return SequenceProbe([name for name, _ in sizes], common[0], common[1])


def bundle_images(images: list[tuple[str, Path]], target: Path) -> None:
    """Several uploaded frames, stored together as one ZIP (the media's original file)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, path in images:
            archive.write(path, arcname=name)


def decode_sequence_to_frames(source: Path, frames_dir: Path, quality: int) -> tuple[int, int, int]:
    """Write the ZIP's frames as ``00000.jpg ...`` (whole or not at all). JPEG frames are copied as
    they are (no second lossy encoding); PNG frames are encoded once. Returns (count, width, height)."""
    with zipfile.ZipFile(source) as archive, staged_dir(frames_dir) as tmp:
        names = frame_members(archive, source.name)
        width = height = 0
        for index, name in enumerate(names):
            data = archive.read(name)
            bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
            if bgr is None:
                raise ValueError(f"frame '{name}' could not be decoded")
            if index and (bgr.shape[1], bgr.shape[0]) != (width, height):
                raise ValueError(f"frame '{name}' is {bgr.shape[1]}x{bgr.shape[0]}, not {width}x{height}")
            height, width = bgr.shape[:2]
            jpeg = data if data[:2] == b"\xff\xd8" else encode_jpeg(bgr, quality)
            (tmp / FRAME_NAME.format(index)).write_bytes(jpeg)
    return len(names), width, height
