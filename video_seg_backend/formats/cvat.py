"""What CVAT's two XML formats (for video 1.1, for images 1.1) share: mask run lengths, the XML
writer, the task's ``<meta>`` block, and reading shapes back into bitmaps.

Masks: CVAT stores a mask as run lengths over its bounding box, row-major, starting with a
(possibly empty) background run, with ``left``/``top``/``width``/``height`` of the box
(cvat/apps/dataset_manager/formats/cvat.py, cvat_sdk.masks.encode_mask).
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

import numpy as np
from pycocotools import mask as mask_utils

from .base import DatasetMedia, DatasetObject, ExportDataset, FormatError, checked_polygon

# Our mask sources as CVAT annotation sources, and back.
SOURCE_TO_CVAT = {"prompt": "semi-auto", "edited": "manual", "propagated": "auto", "imported": "file"}
CVAT_NON_KEY_SOURCES = {"auto"}
# Shapes that become masks; CVAT's other shapes (points, polylines, ellipses, cuboids, skeletons)
# are skipped with a warning.
MASK_SHAPES = ("mask", "polygon", "box")


# --------------------------------------------------------------------------- CVAT RLE


@dataclass(frozen=True)
class CvatMask:
    """A mask as CVAT writes it: run lengths over the box [left, top, width, height]."""

    rle: list[int]
    left: int
    top: int
    width: int
    height: int

    def attrs(self) -> dict[str, str]:
        """The ``rle``/``left``/``top``/``width``/``height`` attributes of a ``<mask>``."""
        return {
            "rle": ", ".join(str(run) for run in self.rle),
            "left": str(self.left),
            "top": str(self.top),
            "width": str(self.width),
            "height": str(self.height),
        }


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
    covered = sum(cvat.rle)  # checked before np.repeat, which would try to allocate that many
    if min(cvat.rle, default=0) < 0 or covered != cvat.width * cvat.height:
        raise FormatError(f"CVAT mask run lengths cover {covered} pixels, but its box is {cvat.width}x{cvat.height}")
    values = (np.arange(len(cvat.rle)) % 2).astype(bool)
    flat = np.repeat(values, cvat.rle)
    full = np.zeros((image_height, image_width), dtype=bool)
    full[cvat.top : cvat.top + cvat.height, cvat.left : cvat.left + cvat.width] = flat.reshape(cvat.height, cvat.width)
    return full


# --------------------------------------------------------------------------- export


class XmlWriter:
    """CVAT's XmlAnnotationWriter layout (two-space indents, attribute order kept); ``take``
    hands over what was written so far, so a long file streams out piece by piece."""

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

    def empty(self, tag: str, attrs: dict[str, str]) -> None:
        self.open(tag, attrs)
        self.close(tag)

    def text(self, tag: str, value: str, attrs: dict[str, str] | None = None) -> None:
        self._indent()
        self.xml.startElement(tag, AttributesImpl(attrs or {}))
        self.xml.characters(value)
        self.xml.endElement(tag)

    def start_document(self) -> None:
        self.xml.startDocument()
        self.xml.startElement("annotations", AttributesImpl({}))
        self.level = 1
        self.text("version", "1.1")

    def end_document(self) -> None:
        self.level = 0
        self.xml.ignorableWhitespace("\n")
        self.xml.endElement("annotations")
        self.xml.endDocument()


ANNOTATOR = "annotator"


# A part region's name ("shaft") and its parent's group_id, as shape attributes: CVAT keeps
# attributes through import and export, and has no part-of link of its own for masks.
PART, PARENT = "part", "parent"


def object_attributes(obj: DatasetObject, group_of: Mapping[int, int]) -> dict[str, str]:
    """The ``<attribute>``s of an object's shapes: who made it (when asked) and, for a part, its
    name and its parent's group."""
    attributes = {} if obj.annotator is None else {ANNOTATOR: obj.annotator}
    if obj.parent_id is not None and obj.part and obj.parent_id in group_of:
        attributes |= {PART: obj.part, PARENT: str(group_of[obj.parent_id])}
    return attributes


def part_of(attributes: Mapping[str, str]) -> tuple[int | None, str | None]:
    """The parent's group and the part's name from a shape's attributes; (None, None) for a whole object."""
    parent, part = attributes.get(PARENT, ""), attributes.get(PART, "")
    return (int(parent), part) if parent.isdigit() and part else (None, None)


def write_shape(writer: XmlWriter, tag: str, attrs: dict[str, str], attributes: Mapping[str, str]) -> None:
    """A shape element, with CVAT's ``<attribute name="...">`` children (annotator, part, parent)."""
    if not attributes:
        writer.empty(tag, attrs)
        return
    writer.open(tag, attrs)
    for name, value in attributes.items():
        writer.text("attribute", value, {"name": name})
    writer.close(tag)


def write_meta(
    writer: XmlWriter,
    dataset: ExportDataset,
    *,
    task_id: int,
    name: str,
    size: int,
    mode: str,
    original_size: tuple[int, int] | None = None,
) -> None:
    """The ``<meta><task>`` block CVAT writes: the task, its one segment and the labels.
    ``mode`` is "interpolation" (CVAT for video) or "annotation" (CVAT for images)."""
    stop = str(size - 1)
    writer.open("meta")
    writer.open("task")
    for tag, value in (
        ("id", str(task_id)),
        ("name", name),
        ("size", str(size)),
        ("mode", mode),
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
        names = [ANNOTATOR] if any(o.annotator is not None for o in dataset.objects) else []
        if any(o.parent_id is not None and o.label_id == label.id for o in dataset.objects):
            names += [PART, PARENT]
        for attribute in names:
            writer.open("attribute")
            for tag, value in (("name", attribute), ("mutable", "False"), ("input_type", "text")):
                writer.text(tag, value)
            writer.text("default_value", "")
            writer.text("values", "")
            writer.close("attribute")
        writer.close("attributes")
        writer.close("label")
    writer.close("labels")
    if original_size is not None:
        writer.open("original_size")
        writer.text("width", str(original_size[0]))
        writer.text("height", str(original_size[1]))
        writer.close("original_size")
    writer.close("task")
    writer.text("dumped", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f+00:00"))
    writer.text("source", name)
    writer.close("meta")


# --------------------------------------------------------------------------- import


def xml_bytes(data: bytes, filename: str, media: DatasetMedia, expected: str) -> bytes:
    """The XML of an upload: the file itself, or the one XML (or the one for ``media``) in a ZIP."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = [n for n in archive.namelist() if n.lower().endswith(".xml") and not n.startswith("__MACOSX")]
        if not names:
            raise FormatError(f"{expected}; the ZIP '{filename}' has no XML file")
        if len(names) > 1:
            wanted = {media.stem, PurePosixPath(media.name).stem}
            names = [n for n in names if PurePosixPath(n).parent.name in wanted] or names
            if len(names) > 1:
                raise FormatError(f"{expected}; the ZIP has {len(names)} XML files and none is in '{media.stem}/'")
        return archive.read(names[0])


def sniff(data: bytes, expected: str) -> None:
    """Refuse, with what the file looks like instead, anything that is not XML."""
    head = data.lstrip()[:1]
    if head in (b"{", b"["):
        raise FormatError(f"{expected}; this file is JSON (COCO or YouTube-VIS?), not XML")
    if data.startswith(b"\x89PNG"):
        raise FormatError(f"{expected}; this file is a PNG image")
    if head != b"<":
        raise FormatError(f"{expected}; this file is not XML")


def _box_polygon(shape: dict) -> list[float]:
    xtl, ytl, xbr, ybr = (float(shape[k]) for k in ("xtl", "ytl", "xbr", "ybr"))
    corners = [(xtl, ytl), (xbr, ytl), (xbr, ybr), (xtl, ybr)]
    angle = math.radians(float(shape.get("rotation", 0) or 0))
    if angle:  # CVAT rotates clockwise (y points down) around the box centre
        cx, cy = (xtl + xbr) / 2, (ytl + ybr) / 2
        cos, sin = math.cos(angle), math.sin(angle)
        corners = [(cx + (x - cx) * cos - (y - cy) * sin, cy + (x - cx) * sin + (y - cy) * cos) for x, y in corners]
    return [v for point in corners for v in point]


def shape_mask(shape: dict, height: int, width: int, expected: str, where: str) -> np.ndarray:
    """A ``<mask>``, ``<polygon>`` or ``<box>`` (its attributes plus ``type``) as a boolean
    (height, width) bitmap; ``where`` names the shape's frame or image in error messages."""
    kind = shape["type"]
    try:
        if kind == "mask":
            runs = [int(float(v)) for v in shape["rle"].split(",")]
            cvat = CvatMask(runs, int(shape["left"]), int(shape["top"]), int(shape["width"]), int(shape["height"]))
            return cvat_rle_decode(cvat, height, width)
        if kind == "polygon":
            points = [float(v) for pair in shape["points"].split(";") for v in pair.split(",")]
        else:  # box
            points = _box_polygon(shape)
    except (KeyError, ValueError, OverflowError) as error:
        if isinstance(error, FormatError):
            raise
        raise FormatError(f"{expected}; a <{kind}> on {where} is malformed ({error})") from None
    points = checked_polygon(points, height, width, where)
    rle = mask_utils.frPyObjects([points], height, width)
    return mask_utils.decode(mask_utils.merge(rle)).astype(bool)


class MetaReader:
    """What a CVAT file's header says, read element by element as ``iterparse`` ends them:
    the version, the task mode, the original frame size and the labels' colours."""

    def __init__(self) -> None:
        self.version: str | None = None
        self.mode: str | None = None
        self.size: dict[str, int] = {}
        self.label_colors: dict[str, str | None] = {}
        self._label: str | None = None
        self._color: str | None = None

    def end(self, tag: str, parent: str | None, text: str | None) -> bool:
        """Take one ended element; False when it is not part of the header."""
        value = (text or "").strip()
        if tag == "version" and parent == "annotations":
            self.version = value
        elif tag == "mode" and parent in ("task", "job"):
            self.mode = value
        elif tag in ("width", "height") and parent == "original_size":
            self.size[tag] = int(value or 0)
        elif tag == "name" and parent == "label":
            self._label = value
        elif tag == "color" and parent == "label":
            self._color = value or None
        elif tag == "label" and parent == "labels" and self._label:
            self.label_colors[self._label] = self._color
            self._label = self._color = None
        else:
            return False
        return True

    def check_version(self, expected: str) -> None:
        if self.version not in (None, "1.1"):
            raise FormatError(f"{expected}; this file is version {self.version}")
