"""CVAT for video 1.1 (annotations.xml), written and read the way CVAT does.

Masks: CVAT stores a mask as run lengths over its bounding box, row-major, starting with a
(possibly empty) background run, with ``left``/``top``/``width``/``height`` of the box
(cvat/apps/dataset_manager/formats/cvat.py, cvat_sdk.masks.encode_mask).

CVAT has no mask *tracks*: when it loads a ``<track>`` of masks it keeps only the first shape
(load_anno: "convert mask tracks to shapes because mask track are not supported"). So, like
CVAT's own exporter does for mask shapes, each mask is written as its own ``<track>``: the mask
on its frame (keyframe="1") and an ``outside="1"`` copy on the next frame. The object's identity
goes into ``group_id`` (CVAT keeps groups through import and export) and whether a person made
the mask into ``source`` (semi-auto/manual for key frames, auto for propagated ones).
One ZIP holds one XML per media item: ``annotations.xml`` for a single video (ready for CVAT's
"Upload annotations"), ``<stem>/annotations.xml`` when there are several.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from xml.etree import ElementTree
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

import numpy as np
from pycocotools import mask as mask_utils

from .base import (
    DatasetLabel,
    DatasetMask,
    DatasetMedia,
    ExportDataset,
    ExportFiles,
    ExportOptions,
    FormatError,
    ImportedMask,
    ImportedObject,
    ImportResult,
    decode_rle,
    encode_rle,
    missing_labels,
    register_format,
)
from .frames import frame_files

EXPECTED = "Expected CVAT for video 1.1 XML with <track> elements"

# Our mask sources as CVAT annotation sources, and back (for masks written as one-shape tracks).
SOURCE_TO_CVAT = {"prompt": "semi-auto", "edited": "manual", "propagated": "auto", "imported": "file"}
CVAT_NON_KEY_SOURCES = {"auto"}


# --------------------------------------------------------------------------- CVAT RLE


@dataclass(frozen=True)
class CvatMask:
    """A mask as CVAT writes it: run lengths over the box [left, top, width, height]."""

    rle: list[int]
    left: int
    top: int
    width: int
    height: int


def cvat_rle_encode(mask: np.ndarray) -> CvatMask | None:
    """Binary (h, w) mask to CVAT RLE over its tight bounding box; None for an empty mask."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return None
    left, top = int(xs.min()), int(ys.min())
    right, bottom = int(xs.max()), int(ys.max())
    flat = mask[top : bottom + 1, left : right + 1].astype(bool).ravel()
    # Positions where the value changes, plus both ends, give the run lengths.
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], changes, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)  # runs always start with background
    return CvatMask(rle=runs, left=left, top=top, width=right - left + 1, height=bottom - top + 1)


def cvat_rle_decode(cvat: CvatMask, image_height: int, image_width: int) -> np.ndarray:
    """CVAT RLE back to a boolean (image_height, image_width) mask."""
    if cvat.width <= 0 or cvat.height <= 0:
        raise FormatError(f"CVAT mask box {cvat.width}x{cvat.height} is empty")
    if cvat.left < 0 or cvat.top < 0 or cvat.left + cvat.width > image_width or cvat.top + cvat.height > image_height:
        raise FormatError(
            f"CVAT mask box (left {cvat.left}, top {cvat.top}, {cvat.width}x{cvat.height}) "
            f"lies outside the {image_width}x{image_height} frame"
        )
    values = (np.arange(len(cvat.rle)) % 2).astype(bool)
    flat = np.repeat(values, cvat.rle)
    if flat.size != cvat.width * cvat.height:
        raise FormatError(f"CVAT mask run lengths cover {flat.size} pixels, but its box is {cvat.width}x{cvat.height}")
    full = np.zeros((image_height, image_width), dtype=bool)
    full[cvat.top : cvat.top + cvat.height, cvat.left : cvat.left + cvat.width] = flat.reshape(cvat.height, cvat.width)
    return full


# --------------------------------------------------------------------------- export


class _XmlWriter:
    """CVAT's XmlAnnotationWriter layout (two-space indents, attribute order kept)."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()
        self.xml = XMLGenerator(self.buffer, "utf-8")
        self.level = 0

    def take(self) -> bytes:
        data = self.buffer.getvalue()
        self.buffer.seek(0)
        self.buffer.truncate()
        return data

    def _indent(self) -> None:
        self.xml.ignorableWhitespace("\n" + "  " * self.level)

    def open(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self._indent()
        self.xml.startElement(tag, AttributesImpl(attrs or {}))
        self.level += 1

    def close(self, tag: str, inline: bool = False) -> None:
        self.level -= 1
        if not inline:
            self._indent()
        self.xml.endElement(tag)

    def text(self, tag: str, value: str) -> None:
        self._indent()
        self.xml.startElement(tag, AttributesImpl({}))
        self.xml.characters(value)
        self.xml.endElement(tag)


def _meta(writer: _XmlWriter, dataset: ExportDataset, media: DatasetMedia) -> None:
    stop = str(media.num_frames - 1)
    writer.open("meta")
    writer.open("task")
    for tag, value in (
        ("id", str(media.id)),
        ("name", media.name),
        ("size", str(media.num_frames)),
        ("mode", "interpolation"),
        ("overlap", "0"),
        ("bugtracker", ""),
        ("subset", "default"),
        ("start_frame", "0"),
        ("stop_frame", stop),
        ("frame_filter", ""),
    ):
        writer.text(tag, value)
    writer.open("segments")
    writer.open("segment")
    for tag, value in (("id", "0"), ("start", "0"), ("stop", stop), ("url", "")):
        writer.text(tag, value)
    writer.close("segment")
    writer.close("segments")
    writer.open("labels")
    for label in dataset.labels:
        writer.open("label")
        writer.text("name", label.name)
        writer.text("color", label.color)
        writer.text("type", "any")
        writer.open("attributes")
        writer.close("attributes")
        writer.close("label")
    writer.close("labels")
    writer.open("original_size")
    writer.text("width", str(media.width))
    writer.text("height", str(media.height))
    writer.close("original_size")
    writer.close("task")
    writer.text("dumped", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00:00"))
    writer.text("source", media.name)
    writer.close("meta")


def _mask_attrs(frame: int, cvat: CvatMask, *, keyframe: bool, outside: bool) -> dict[str, str]:
    # Attribute order as CVAT's dump_as_cvat_interpolation writes it.
    return {
        "frame": str(frame),
        "keyframe": str(int(keyframe)),
        "outside": str(int(outside)),
        "occluded": "0",
        "rle": ", ".join(str(run) for run in cvat.rle),
        "left": str(cvat.left),
        "top": str(cvat.top),
        "width": str(cvat.width),
        "height": str(cvat.height),
        "z_order": "0",
    }


def _write_mask(writer: _XmlWriter, attrs: dict[str, str]) -> None:
    writer.open("mask", attrs)
    writer.close("mask")


def _video_xml(dataset: ExportDataset, media: DatasetMedia, options: ExportOptions) -> Iterator[bytes]:
    writer = _XmlWriter()
    writer.xml.startDocument()
    writer.xml.startElement("annotations", AttributesImpl({}))
    writer.level = 1
    writer.text("version", "1.1")
    _meta(writer, dataset, media)
    yield writer.take()

    objects = dataset.objects_of(media)
    masks: dict[int, list[DatasetMask]] = {obj.id: [] for obj in objects}
    for mask in dataset.masks_of(media):
        masks[mask.object_id].append(mask)
    # CVAT's rule for a shape's closing outside copy: only if it does not hop over the last frame.
    stop_frame = media.num_frames - 1
    track_id = 0
    for group, obj in enumerate(objects, start=1):
        label = dataset.label(obj.label_id).name
        encoded = [
            (mask, cvat)
            for mask in sorted(masks.pop(obj.id), key=lambda m: m.frame_index)
            if (cvat := cvat_rle_encode(decode_rle(mask.rle))) is not None
        ]
        if options.cvat_track_per_object:
            if not encoded:
                continue
            source = "semi-auto" if any(mask.is_keyframe for mask, _ in encoded) else "auto"
            writer.open("track", {"id": str(track_id), "label": label, "source": source})
            for position, (mask, cvat) in enumerate(encoded):
                _write_mask(writer, _mask_attrs(mask.frame_index, cvat, keyframe=mask.is_keyframe, outside=False))
                following = encoded[position + 1][0].frame_index if position + 1 < len(encoded) else None
                if following != mask.frame_index + 1 and mask.frame_index + 1 < stop_frame + 1:
                    _write_mask(writer, _mask_attrs(mask.frame_index + 1, cvat, keyframe=True, outside=True))
            writer.close("track")
            track_id += 1
            yield writer.take()
            continue
        for mask, cvat in encoded:
            attrs = {
                "id": str(track_id),
                "label": label,
                "source": SOURCE_TO_CVAT.get(mask.source, "manual"),
                "group_id": str(group),
            }
            writer.open("track", attrs)
            _write_mask(writer, _mask_attrs(mask.frame_index, cvat, keyframe=True, outside=False))
            if mask.frame_index + 1 < stop_frame:
                _write_mask(writer, _mask_attrs(mask.frame_index + 1, cvat, keyframe=True, outside=True))
            writer.close("track")
            track_id += 1
        yield writer.take()
    writer.level = 0
    writer.xml.ignorableWhitespace("\n")
    writer.xml.endElement("annotations")
    writer.xml.endDocument()
    yield writer.take()


def export_cvat_video(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    single = len(dataset.media) == 1
    for media in dataset.media:
        prefix = "" if single else f"{media.stem}/"
        yield f"{prefix}annotations.xml", _video_xml(dataset, media, options)
    if options.include_frames:
        yield from frame_files(dataset, "images")


# --------------------------------------------------------------------------- import


@dataclass
class _Track:
    id: str
    label: str
    group: int
    source: str
    shapes: list[dict] = field(default_factory=list)


def _xml_bytes(data: bytes, filename: str, media: DatasetMedia) -> bytes:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".xml") and not n.startswith("__MACOSX")]
        if not names:
            raise FormatError(f"{EXPECTED}; the ZIP '{filename}' has no XML file")
        if len(names) > 1:
            wanted = {media.stem, PurePosixPath(media.name).stem}
            names = [n for n in names if PurePosixPath(n).parent.name in wanted] or names
            if len(names) > 1:
                raise FormatError(f"{EXPECTED}; the ZIP has {len(names)} XML files and none is in '{media.stem}/'")
        return archive.read(names[0])


def _sniff(data: bytes) -> None:
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        raise FormatError(f"{EXPECTED}; this file is JSON (COCO or YouTube-VIS?), not XML")
    if data.startswith(b"\x89PNG"):
        raise FormatError(f"{EXPECTED}; this file is a PNG image")
    if head != b"<":
        raise FormatError(f"{EXPECTED}; this file is not XML")


def _box_polygon(shape: dict) -> list[float]:
    xtl, ytl, xbr, ybr = (float(shape[k]) for k in ("xtl", "ytl", "xbr", "ybr"))
    corners = [(xtl, ytl), (xbr, ytl), (xbr, ybr), (xtl, ybr)]
    angle = math.radians(float(shape.get("rotation", 0) or 0))
    if angle:  # CVAT rotates clockwise (y points down) around the box centre
        cx, cy = (xtl + xbr) / 2, (ytl + ybr) / 2
        cos, sin = math.cos(angle), math.sin(angle)
        corners = [(cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos) for x, y in corners]
    return [v for point in corners for v in point]


def _shape_mask(shape: dict, media: DatasetMedia) -> np.ndarray:
    kind = shape["type"]
    h, w = media.height, media.width
    if kind == "mask":
        try:
            runs = [int(float(v)) for v in shape["rle"].split(",")]
            cvat = CvatMask(runs, int(shape["left"]), int(shape["top"]), int(shape["width"]), int(shape["height"]))
        except (KeyError, ValueError) as error:
            raise FormatError(f"{EXPECTED}; a <mask> on frame {shape['frame']} is malformed ({error})") from None
        return cvat_rle_decode(cvat, h, w)
    if kind == "polygon":
        points = [float(v) for pair in shape["points"].split(";") for v in pair.split(",")]
    else:  # box
        points = _box_polygon(shape)
    rle = mask_utils.frPyObjects([points], h, w)
    return mask_utils.decode(mask_utils.merge(rle)).astype(bool)


def _parse(xml: bytes, media: DatasetMedia) -> tuple[list[_Track], dict[str, str | None], list[str]]:
    tracks: list[_Track] = []
    label_colors: dict[str, str | None] = {}
    skipped: dict[str, int] = {}
    track: _Track | None = None
    path: list[str] = []
    mode = None
    size: dict[str, int] = {}
    version = None
    label_name: str | None = None
    label_color: str | None = None
    try:
        for event, el in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
            if event == "start":
                if not path and el.tag != "annotations":
                    raise FormatError(f"{EXPECTED}; the root element is <{el.tag}>, not <annotations>")
                path.append(el.tag)
                if el.tag == "image" and len(path) == 2:
                    raise FormatError(f"{EXPECTED}; this file is CVAT for images 1.1 (it has <image> elements)")
                if el.tag == "track":
                    track = _Track(
                        id=el.attrib.get("id", str(len(tracks))),
                        label=el.attrib.get("label", ""),
                        group=int(el.attrib.get("group_id", 0) or 0),
                        source=el.attrib.get("source", "manual"),
                    )
                continue
            path.pop()
            tag = el.tag
            parent = path[-1] if path else None
            if tag == "version" and parent == "annotations":
                version = (el.text or "").strip()
            elif tag == "mode" and parent in ("task", "job"):
                mode = (el.text or "").strip()
                if mode == "annotation":
                    raise FormatError(f"{EXPECTED}; this file is CVAT for images 1.1 (meta mode is annotation)")
            elif tag in ("width", "height") and parent == "original_size":
                size[tag] = int(el.text or 0)
            elif tag == "name" and parent == "label":
                label_name = (el.text or "").strip()
            elif tag == "color" and parent == "label":
                label_color = (el.text or "").strip() or None
            elif tag == "label" and parent == "labels" and label_name:
                label_colors[label_name] = label_color
                label_name = label_color = None
            elif track is not None and parent == "track":
                if tag in ("mask", "polygon", "box"):
                    track.shapes.append({"type": tag, **el.attrib})
                else:
                    skipped[tag] = skipped.get(tag, 0) + 1
            elif tag == "track" and track is not None:
                tracks.append(track)
                track = None
            if parent in ("annotations", "track"):
                el.clear()
    except ElementTree.ParseError as error:
        raise FormatError(f"{EXPECTED}; the file is not well-formed XML ({error})") from None
    if version not in (None, "1.1"):
        raise FormatError(f"{EXPECTED}; this file is version {version}")
    if size and (size.get("width"), size.get("height")) != (media.width, media.height):
        raise FormatError(
            f"The CVAT task is {size.get('width')}x{size.get('height')}, but '{media.name}' is "
            f"{media.width}x{media.height}"
        )
    warnings = [
        f"{count} <{tag}> shapes were skipped (only mask, polygon and box become masks)"
        for tag, count in sorted(skipped.items())
    ]
    if not tracks and mode != "interpolation":
        raise FormatError(f"{EXPECTED}; this file has none")
    return tracks, label_colors, warnings


def import_cvat_video(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Masks from a CVAT for video 1.1 file (XML, or CVAT's export ZIP) for one video.

    Every visible mask, polygon or box shape becomes a mask on its frame; ``keyframe="1"``
    shapes are flagged as key frames; ``outside="1"`` hides the object from that frame on.
    Tracks sharing a group_id (and label) are one object. A mask written as a one-shape track
    (CVAT's way of exporting masks) is a key frame unless CVAT says an algorithm made it.
    """
    xml = _xml_bytes(data, filename, media)
    _sniff(xml)
    tracks, label_colors, warnings = _parse(xml, media)
    objects: dict[str, ImportedObject] = {}
    masks: dict[tuple[str, int], ImportedMask] = {}
    for track in tracks:
        visible = [shape for shape in track.shapes if shape.get("outside", "0") != "1"]
        for shape in track.shapes:
            index = int(shape["frame"])
            if not 0 <= index < media.num_frames:
                raise FormatError(
                    f"Track {track.id} has a shape on frame {index}, outside '{media.name}' "
                    f"(frames 0 to {media.num_frames - 1})"
                )
        if not visible:
            continue
        key = f"group-{track.group}-{track.label}" if track.group else f"track-{track.id}"
        objects.setdefault(key, ImportedObject(key=key, label_name=track.label, track_id=track.group or int(track.id)))
        mask_only_shape = len(visible) == 1 and visible[0]["type"] == "mask"
        for shape in visible:
            index = int(shape["frame"])
            if mask_only_shape:
                keyframe = track.source not in CVAT_NON_KEY_SOURCES
            else:
                keyframe = shape.get("keyframe", "0") == "1"
            bitmap = _shape_mask(shape, media)
            previous = masks.get((key, index))
            if previous is not None:  # grouped pieces of one object on one frame
                bitmap |= decode_rle(previous.rle)
                keyframe = keyframe or previous.keyframe
            if not bitmap.any():
                continue
            masks[(key, index)] = ImportedMask(
                object_key=key, frame_index=index, rle=encode_rle(bitmap), keyframe=keyframe
            )
    used = sorted({obj.label_name for obj in objects.values()})
    return ImportResult(
        labels_to_create=missing_labels(((name, label_colors.get(name)) for name in used), labels),
        objects=list(objects.values()),
        masks=sorted(masks.values(), key=lambda m: (m.object_key, m.frame_index)),
        warnings=warnings,
    )


register_format("cvat_video", title="CVAT for video 1.1", exporter=export_cvat_video, importer=import_cvat_video)
