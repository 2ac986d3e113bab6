"""Reading masks for evaluation: DAVIS folders, COCO RLE, YouTube-VIS JSON.

Label maps are ``uint8`` arrays: 0 background, 1..N objects, 255 void. Two PNG conventions exist:

- DAVIS 2017 (and the studio's DAVIS export): an indexed palette PNG whose indices are object ids,
  255 being "void" (unlabelled border pixels).
- DAVIS 2016 and most binary-mask tools: a greyscale PNG with the object as 255; any non-zero
  value is then object 1 (there is no void).

``read_label_png`` tells them apart by the PNG mode, so callers never need to know which they got.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from pycocotools import mask as mask_utils

from video_seg_backend.storage.masks import decode_rle, encode_rle

__all__ = [
    "VOID_LABEL",
    "davis_palette",
    "write_label_png",
    "DavisSequence",
    "coco_segmentation_to_mask",
    "decode_rle",
    "encode_rle",
    "find_davis_sequences",
    "load_davis_sequence",
    "load_ytvis_masks",
    "object_masks",
    "read_label_png",
]

VOID_LABEL = 255
ANNOTATION_DIRS = ("Annotations", "annotations", "Annotations/480p")


def read_label_png(path: str | Path) -> NDArray[np.uint8]:
    """A mask PNG as a label map: palette indices as they are, 0/255 greyscale as 0/1."""
    with Image.open(path) as image:
        mode = image.mode
        array = np.array(image)
    if mode == "P":
        return array.astype(np.uint8)
    if array.ndim == 3:
        # Colour masks carry no object ids we could trust: anything not black is the object.
        return (array[..., :3].max(axis=2) > 0).astype(np.uint8)
    if mode == "1" or (array.size and array.max() == 255) or array.dtype == bool:
        # Binary mask (DAVIS 2016 style, 0/255): any non-zero value is object 1.
        return (array > 0).astype(np.uint8)
    if array.max() > 255:
        raise ValueError(f"{path}: 16-bit masks are not supported, save object ids as 8-bit indices")
    return array.astype(np.uint8)


@dataclass
class DavisSequence:
    """One sequence's ground truth: frame names and a (frames, height, width) label volume."""

    name: str
    frame_names: list[str]
    labels: NDArray[np.uint8]

    @property
    def num_frames(self) -> int:
        return int(self.labels.shape[0])

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.labels.shape[1]), int(self.labels.shape[2])

    def object_ids(self, first_frame_only: bool = True) -> list[int]:
        """The objects to score: those in the first frame, as DAVIS semi-supervised does."""
        frames = self.labels[:1] if first_frame_only else self.labels
        ids = np.unique(frames)
        return [int(i) for i in ids if i not in (0, VOID_LABEL)]

    @property
    def void(self) -> NDArray[np.bool_]:
        return self.labels == VOID_LABEL


def _annotation_dir(folder: Path) -> Path:
    for name in ANNOTATION_DIRS:
        if (folder / name).is_dir() and any((folder / name).glob("*.png")):
            return folder / name
    return folder


def load_davis_sequence(folder: str | Path, name: str | None = None) -> DavisSequence:
    """Load ``<seq>/Annotations/*.png`` (or a folder of PNGs directly), frames in name order."""
    folder = Path(folder)
    mask_dir = _annotation_dir(folder)
    paths = sorted(mask_dir.glob("*.png"))
    if not paths:
        raise FileNotFoundError(f"No mask PNGs in {mask_dir}: expected <seq>/Annotations/00000.png ...")
    first = read_label_png(paths[0])
    labels = np.zeros((len(paths), *first.shape), dtype=np.uint8)
    labels[0] = first
    for i, path in enumerate(paths[1:], start=1):
        frame = read_label_png(path)
        if frame.shape != first.shape:
            raise ValueError(f"{path} is {frame.shape[::-1]} but {paths[0].name} is {first.shape[::-1]}")
        labels[i] = frame
    return DavisSequence(name=name or folder.name, frame_names=[p.stem for p in paths], labels=labels)


def find_davis_sequences(root: str | Path) -> dict[str, Path]:
    """Sequence folders under a DAVIS-layout root.

    Accepts ``root/<seq>/Annotations`` (the shared sample layout), ``root/Annotations/<seq>`` (the
    official DAVIS layout, with or without ``480p``), ``root/<seq>/*.png`` (a results folder, the
    studio's DAVIS export) and ``root`` being a single sequence itself.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    for layout in ("Annotations/480p", "Annotations"):
        official = root / layout
        if official.is_dir() and not any(official.glob("*.png")):
            found = {p.name: p for p in sorted(official.iterdir()) if p.is_dir() and any(p.glob("*.png"))}
            if found:
                return found
    if _annotation_dir(root) != root or any(root.glob("*.png")):
        return {root.name: root}
    found = {}
    for child in sorted(root.iterdir()):
        if child.is_dir() and (_annotation_dir(child) != child or any(child.glob("*.png"))):
            found[child.name] = child
    return found


def object_masks(
    labels: NDArray[np.uint8], object_ids: Iterable[int]
) -> tuple[dict[int, NDArray[np.bool_]], NDArray[np.bool_]]:
    """Split a label volume (or map) into one boolean volume per object id, plus the void pixels."""
    return {int(i): labels == i for i in object_ids}, labels == VOID_LABEL


def _ytvis_video_name(video: Mapping[str, Any]) -> str:
    if video.get("name"):
        return str(video["name"])
    files = video.get("file_names") or []
    if files:
        parent = Path(files[0]).parent.name
        if parent:
            return parent
    return str(video["id"])


def load_ytvis_masks(path: str | Path) -> dict[str, dict[int, dict[int, NDArray[np.bool_]]]]:
    """Masks from a YouTube-VIS file: ``{video name: {track id: {frame index: mask}}}``.

    Reads both the dataset layout (``videos`` + ``annotations``, as the studio exports) and the
    results layout (a bare list of ``{video_id, segmentations, ...}``; the video is then named by
    its id). Track ids are the annotation ids, or their position when there is none.
    """
    data = json.loads(Path(path).read_text())
    if isinstance(data, list):
        videos: dict[Any, str] = {}
        annotations = data
    else:
        videos = {v["id"]: _ytvis_video_name(v) for v in data.get("videos", [])}
        annotations = data.get("annotations", [])
    result: dict[str, dict[int, dict[int, NDArray[np.bool_]]]] = {}
    for position, ann in enumerate(annotations, start=1):
        video = videos.get(ann["video_id"], str(ann["video_id"]))
        track = int(ann.get("id", position))
        frames = result.setdefault(video, {}).setdefault(track, {})
        for frame_index, rle in enumerate(ann.get("segmentations") or []):
            if rle:
                frames[frame_index] = decode_rle(rle)
    return result


def davis_palette() -> list[int]:
    """The DAVIS / PASCAL VOC colour palette (256 RGB triplets, flattened) for indexed PNGs."""
    palette: list[int] = []
    for index in range(256):
        r = g = b = 0
        value = index
        for bit in range(8):
            r |= ((value >> 0) & 1) << (7 - bit)
            g |= ((value >> 1) & 1) << (7 - bit)
            b |= ((value >> 2) & 1) << (7 - bit)
            value >>= 3
        palette.extend((r, g, b))
    return palette


def write_label_png(labels: NDArray[np.uint8], path: str | Path) -> None:
    """Save a label map as an indexed PNG with the DAVIS palette (what DAVIS tools read)."""
    image = Image.fromarray(np.asarray(labels, dtype=np.uint8))  # "L"; putpalette makes it "P"
    image.putpalette(davis_palette())
    image.save(path)


def coco_segmentation_to_mask(segmentation: Any, height: int, width: int) -> NDArray[np.bool_]:
    """A COCO ``segmentation`` (polygons, uncompressed or compressed RLE) as a boolean mask."""
    if isinstance(segmentation, list):  # polygons
        if not segmentation:
            return np.zeros((height, width), dtype=bool)
        rles = mask_utils.frPyObjects(segmentation, height, width)
        return mask_utils.decode(mask_utils.merge(rles)).astype(bool)
    return decode_rle({"size": segmentation.get("size", [height, width]), "counts": segmentation["counts"]})
