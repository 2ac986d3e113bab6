"""DAVIS 2017 semi-supervised layout: one indexed palette PNG per frame.

Layout::

    Annotations/<stem>/00000.png   pixel value 0 background, 1..N objects, DAVIS palette
    Annotations/<stem>.json        object index -> label, track id and key frames
    JPEGImages/<stem>/00000.jpg    (include_frames)
    ImageSets/all.txt              one sequence stem per line

Every frame gets a PNG, empty frames too, because DAVIS tools expect one per frame. A pixel
holds one object: where masks overlap, the later object in the dataset's object order wins.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from pathlib import PurePosixPath

import numpy as np
from PIL import Image

from .base import (
    DatasetLabel,
    DatasetMedia,
    DatasetObject,
    ExportDataset,
    ExportFiles,
    ExportOptions,
    FormatError,
    ImportedMask,
    ImportedObject,
    ImportResult,
    decode_rle,
    encode_rle,
    frame_from_file_name,
    missing_labels,
    register_format,
)
from .frames import object_track_ids

VOID = 255  # DAVIS marks "don't care" pixels with 255; they belong to no object
MAX_OBJECTS = 254


def davis_palette() -> list[int]:
    """The DAVIS (= PASCAL VOC) colour map: 256 RGB triplets, flattened for Image.putpalette."""
    palette = []
    for index in range(256):
        r = g = b = 0
        value = index
        for bit in range(8):
            r |= ((value >> 0) & 1) << (7 - bit)
            g |= ((value >> 1) & 1) << (7 - bit)
            b |= ((value >> 2) & 1) << (7 - bit)
            value >>= 3
        palette += [r, g, b]
    return palette


PALETTE = davis_palette()


def encode_index_png(indices: np.ndarray) -> bytes:
    """(h, w) uint8 object indices to a palette PNG with the DAVIS colours."""
    image = Image.fromarray(indices.astype(np.uint8), mode="P")
    image.putpalette(PALETTE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _sequence_path(media: DatasetMedia, index: int, ext: str) -> str:
    return f"{media.stem}/{index:05d}{ext}"


def _media_pngs(dataset: ExportDataset, media: DatasetMedia, prefix: str) -> ExportFiles:
    objects = dataset.objects_of(media)
    if len(objects) > MAX_OBJECTS:
        raise FormatError(f"DAVIS PNGs hold at most {MAX_OBJECTS} objects per video; '{media.name}' has {len(objects)}")
    index_of = {obj.id: position for position, obj in enumerate(objects, start=1)}
    tracks = object_track_ids(dataset)
    by_frame: dict[int, list[tuple[int, dict]]] = defaultdict(list)
    key_frames: dict[int, list[int]] = defaultdict(list)
    for mask in dataset.masks_of(media):
        by_frame[mask.frame_index].append((index_of[mask.object_id], mask.rle))
        if mask.is_keyframe:
            key_frames[mask.object_id].append(mask.frame_index)
    # Parts after whole objects: a part's pixels take its own id, so its parent is its id and its parts'.
    parts = {index_of[obj.id] for obj in objects if obj.parent_id is not None}
    for frame in range(media.num_frames):
        indices = np.zeros((media.height, media.width), dtype=np.uint8)
        for object_index, rle in sorted(by_frame.pop(frame, []), key=lambda item: (item[0] in parts, item[0])):
            indices[decode_rle(rle)] = object_index
        yield f"{prefix}/{_sequence_path(media, frame, '.png')}", encode_index_png(indices)
    mapping = {
        "media": media.name,
        "width": media.width,
        "height": media.height,
        "num_frames": media.num_frames,
        "objects": {
            str(index_of[obj.id]): {
                "label": dataset.label(obj.label_id).name,
                "color": dataset.label(obj.label_id).color,
                "track_id": tracks[obj.id],
                "key_frames": sorted(set(key_frames.get(obj.id, []))),
                # A part: its parent's object index here, and its name ("shaft").
                **_part_of(obj, index_of),
            }
            for obj in objects
        },
    }
    yield f"{prefix}/{media.stem}.json", json.dumps(mapping, indent=1).encode()


def _part_of(obj: DatasetObject, index_of: dict[int, int]) -> dict[str, object]:
    if obj.parent_id is None or obj.parent_id not in index_of:
        return {}
    return {"parent": index_of[obj.parent_id], "part": obj.part}


def palette_png_files(dataset: ExportDataset, prefix: str) -> ExportFiles:
    """Palette PNGs and object mapping of every media item under `prefix` (COCO/YTVIS extras)."""
    for media in dataset.media:
        yield from _media_pngs(dataset, media, prefix)


def export_davis(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    yield from palette_png_files(dataset, "Annotations")
    if options.include_frames:
        for media in dataset.media:
            if media.read_frame is None:
                raise FormatError(f"Frames of '{media.name}' were asked for, but it has no frame reader")
            for frame in range(media.num_frames):
                yield f"JPEGImages/{_sequence_path(media, frame, media.frame_ext)}", media.read_frame(frame)
    yield "ImageSets/all.txt", "".join(f"{media.stem}\n" for media in dataset.media).encode()


# --------------------------------------------------------------------------- import

_EXPECTED = "Expected DAVIS palette PNGs (one PNG, or a ZIP of PNGs named by frame number)"
_PALETTE_LOOKUP = {tuple(PALETTE[3 * i : 3 * i + 3]): i for i in range(256)}


def decode_index_png(data: bytes, name: str) -> np.ndarray:
    """Object indices (h, w) of a DAVIS PNG: palette indices, or 0/255 binary as object 1."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as error:  # Pillow raises many kinds for a bad file
        raise FormatError(f"{_EXPECTED}; '{name}' is not a readable image ({error})") from None
    if image.mode == "P":
        return np.array(image, dtype=np.uint8)
    if image.mode == "1":
        return np.array(image, dtype=np.uint8)
    if image.mode in ("L", "I", "I;16"):
        values = np.array(image)
        if set(np.unique(values).tolist()) <= {0, 255}:
            return (values == 255).astype(np.uint8)  # a binary mask is object 1
        if values.max() > 255:
            raise FormatError(f"{_EXPECTED}; '{name}' has values above 255")
        return values.astype(np.uint8)
    rgb = np.array(image.convert("RGB"))
    colors = np.unique(rgb.reshape(-1, 3), axis=0)
    if all(tuple(c) in ((0, 0, 0), (255, 255, 255)) for c in colors.tolist()):
        return (rgb[..., 0] == 255).astype(np.uint8)
    indices = np.zeros(rgb.shape[:2], dtype=np.uint8)
    for color in colors.tolist():
        index = _PALETTE_LOOKUP.get(tuple(color))
        if index is None:
            raise FormatError(f"{_EXPECTED}; '{name}' has colour {tuple(color)}, which is not in the DAVIS palette")
        indices[np.all(rgb == color, axis=-1)] = index
    return indices


def _png_entries(data: bytes, filename: str, media: DatasetMedia) -> tuple[list[tuple[str, bytes]], dict | None]:
    """PNG (name, bytes) for this media item, and its object mapping if the ZIP has one."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if not data.startswith(b"\x89PNG"):
            kind = "XML" if data.lstrip().startswith(b"<") else "JSON" if data.lstrip()[:1] in (b"{", b"[") else ""
            raise FormatError(f"{_EXPECTED}; '{filename}' is {kind or 'neither a PNG nor a ZIP'}")
        return [(filename, data)], None
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".png") and not n.startswith("__MACOSX")]
        if not names:
            raise FormatError(f"{_EXPECTED}; the ZIP '{filename}' has no PNG files")
        folders = {PurePosixPath(n).parent.name for n in names}
        wanted = {media.stem, PurePosixPath(media.name).stem}
        if len(folders) > 1:
            chosen = folders & wanted
            if not chosen:
                raise FormatError(f"{_EXPECTED}; no folder in the ZIP ({', '.join(sorted(folders))}) is '{media.stem}'")
            names = [n for n in names if PurePosixPath(n).parent.name in chosen]
        folder = PurePosixPath(names[0]).parent
        mapping = None
        for candidate in (f"{folder}.json", f"{folder}/objects.json"):
            if candidate in archive.namelist():
                mapping = json.loads(archive.read(candidate))
        return [(n, archive.read(n)) for n in sorted(names)], mapping


def import_davis(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Masks from DAVIS PNGs: a ZIP of per-frame PNGs, or one PNG for `frame` (default: its name)."""
    entries, mapping = _png_entries(data, filename, media)
    described = (mapping or {}).get("objects", {})
    default_label = labels[0].name if labels else "object"
    objects: dict[int, ImportedObject] = {}
    masks: list[ImportedMask] = []
    # Our export draws parts over their parent: a parent's mask is its own id and its parts' ids.
    parts_of: dict[int, list[int]] = defaultdict(list)
    for value, info in described.items():
        if isinstance(info.get("parent"), int) and str(value).isdigit():
            parts_of[info["parent"]].append(int(value))
    for name, png in entries:
        index = frame if frame is not None and len(entries) == 1 else frame_from_file_name(name)
        if index is None:
            index = 0 if len(entries) == 1 else None
        if index is None:
            raise FormatError(f"{_EXPECTED}; cannot tell the frame of '{name}' from its name")
        if not 0 <= index < media.num_frames:
            raise FormatError(f"'{name}' is frame {index}, outside '{media.name}' (frames 0 to {media.num_frames - 1})")
        indices = decode_index_png(png, name)
        if indices.shape != (media.height, media.width):
            raise FormatError(
                f"'{name}' is {indices.shape[1]}x{indices.shape[0]}, but '{media.name}' is {media.width}x{media.height}"
            )
        for value in np.unique(indices).tolist():
            if value in (0, VOID):
                continue
            info = described.get(str(value), {})
            if value not in objects:
                objects[value] = ImportedObject(
                    key=f"davis-{value}",
                    label_name=info.get("label", default_label),
                    track_id=info.get("track_id"),
                )
                parent = described.get(str(info.get("parent")), {})
                if info.get("part") and parent.get("track_id") is not None:
                    objects[value].parent_track, objects[value].part = parent["track_id"], info["part"]
            keyframe = index in info["key_frames"] if "key_frames" in info else True
            masks.append(
                ImportedMask(
                    object_key=f"davis-{value}",
                    frame_index=index,
                    rle=encode_rle(np.isin(indices, [value, *parts_of.get(value, [])])),
                    keyframe=keyframe,
                )
            )
    colors = {info.get("label"): info.get("color") for info in described.values()}
    used = sorted({obj.label_name for obj in objects.values()})
    return ImportResult(
        labels_to_create=missing_labels(((name, colors.get(name)) for name in used), labels),
        objects=[objects[value] for value in sorted(objects)],
        masks=masks,
    )


register_format("davis", title="DAVIS 2017 (palette PNGs)", exporter=export_davis, importer=import_davis)
