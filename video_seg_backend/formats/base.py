"""Plain data the formats read and write, the format registry, and mask helpers.

The formats layer never touches the database: the API adapts rows to these dataclasses,
calls an exporter or importer, and writes what comes back.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Literal

from pycocotools import mask as mask_utils

from video_seg_backend.models import KEY_FRAME_SOURCES
from video_seg_backend.storage.masks import (  # noqa: F401 - the formats' RLE helpers
    decode_rle,
    encode_rle,
    normalize_rle,
    rle_area,
    rle_bbox,
)

if TYPE_CHECKING:
    from .ava import AvaSource

MediaKind = Literal["image", "video"]
MaskSource = Literal["prompt", "propagated", "imported", "edited"]


class FormatError(ValueError):
    """A file is not in the format that was asked for; the message names what was expected."""


# --------------------------------------------------------------------------- dataset


@dataclass
class DatasetLabel:
    id: int
    name: str
    color: str = "#ff0000"
    keypoints: list[str] = field(default_factory=list)  # the label's named points, in order
    edges: list[tuple[str, str]] = field(default_factory=list)  # skeleton edges by point name


@dataclass
class DatasetMedia:
    """One image or one video. Video frames are numbered from 0."""

    id: int
    name: str
    kind: MediaKind
    width: int
    height: int
    num_frames: int = 1
    fps: float | None = None
    # Encoded bytes of frame i (a video's decoded JPEG, an image's uploaded file); needed only for
    # include_frames exports. frame_ext is what those bytes are named with.
    read_frame: Callable[[int], bytes] | None = None
    frame_ext: str = ".jpg"
    # Folder/file stem used in exported paths; defaults to the name without extension.
    # ExportDataset makes these unique across a project.
    stem: str = ""

    def __post_init__(self) -> None:
        if not self.stem:
            self.stem = safe_stem(self.name)

    def frame_file_name(self, index: int) -> str:
        """Path of frame `index` inside an export, e.g. ``walk/00012.jpg`` or ``cat.jpg``."""
        if self.kind == "image":
            return f"{self.stem}{self.frame_ext}"
        return f"{self.stem}/{index:05d}{self.frame_ext}"


@dataclass
class DatasetObject:
    """One tracked instance inside one media item."""

    id: int
    media_id: int
    label_id: int
    track_id: int | None = None
    # Who made it: set only when an export asks to include the annotator (COCO attributes, CVAT attribute).
    annotator: str | None = None
    # A part region (shaft, gripper) of the object ``parent_id`` (an object id), named from its label's parts.
    parent_id: int | None = None
    part: str | None = None


@dataclass
class DatasetMask:
    """One object's mask on one frame. bbox and area are always derived from the RLE."""

    object_id: int
    frame_index: int
    rle: dict  # COCO compressed RLE: {"size": [h, w], "counts": str}
    source: MaskSource = "propagated"
    score: float | None = None

    @property
    def is_keyframe(self) -> bool:
        # A mask a person made (clicked, imported, edited): the studio's own definition.
        return self.source in KEY_FRAME_SOURCES


MaskSourceFn = Callable[[DatasetMedia], Iterable[DatasetMask]]


@dataclass
class DatasetKeypoints:
    """One object's points on one frame, in its label's order: (x, y, visibility 0/1/2) each."""

    object_id: int
    frame_index: int
    points: list[tuple[float, float, int]]
    source: Literal["key", "tracked"] = "key"


KeypointSourceFn = Callable[[DatasetMedia], Iterable[DatasetKeypoints]]


@dataclass
class ExportDataset:
    """Everything an exporter needs.

    `masks` is either any iterable of masks (small projects, tests) or a function returning one
    media item's masks, e.g. a generator over a database query, so that a huge project is read
    one media item at a time and never held in memory at once.
    """

    project_name: str
    media_type: MediaKind
    labels: list[DatasetLabel]
    media: list[DatasetMedia]
    objects: list[DatasetObject]
    masks: Iterable[DatasetMask] | MaskSourceFn
    keypoints: Iterable[DatasetKeypoints] | KeypointSourceFn = ()
    actions: AvaSource | None = None  # the action vocabulary and labels, for the AVA format
    _by_media: dict[int, list[DatasetMask]] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for item in self.media:
            if item.stem in seen:
                item.stem = f"{item.stem}_{item.id}"
            seen.add(item.stem)

    def label(self, label_id: int) -> DatasetLabel:
        for label in self.labels:
            if label.id == label_id:
                return label
        raise ValueError(f"Object refers to label {label_id}, which is not in the dataset")

    def objects_of(self, media: DatasetMedia) -> list[DatasetObject]:
        return [obj for obj in self.objects if obj.media_id == media.id]

    def masks_of(self, media: DatasetMedia) -> Iterator[DatasetMask]:
        """This media item's masks, checked against its frame range."""
        if callable(self.masks):
            masks: Iterable[DatasetMask] = self.masks(media)
        else:
            if self._by_media is None:
                media_of_object = {obj.id: obj.media_id for obj in self.objects}
                grouped: dict[int, list[DatasetMask]] = defaultdict(list)
                for mask in self.masks:
                    grouped[media_of_object.get(mask.object_id, -1)].append(mask)
                self._by_media = grouped
            masks = self._by_media.get(media.id, [])
        for mask in masks:
            if not 0 <= mask.frame_index < media.num_frames:
                raise FormatError(
                    f"Mask on frame {mask.frame_index} of '{media.name}', which has {media.num_frames} frames"
                )
            yield mask

    def keypoints_of(self, media: DatasetMedia) -> list[DatasetKeypoints]:
        """This media item's keypoints (per object and frame), checked against its frame range."""
        if callable(self.keypoints):
            found = list(self.keypoints(media))
        else:
            mine = {obj.id for obj in self.objects_of(media)}
            found = [k for k in self.keypoints if k.object_id in mine]
        labels = {obj.id: self.label(obj.label_id) for obj in self.objects_of(media)}
        for item in found:
            if not 0 <= item.frame_index < media.num_frames:
                raise FormatError(f"Keypoints on frame {item.frame_index} of {media.name!r}, outside its frames")
            # Points added to the label after this frame was written: not labelled there.
            missing = len(labels[item.object_id].keypoints) - len(item.points) if item.object_id in labels else 0
            item.points = item.points + [(0.0, 0.0, 0)] * max(0, missing)
        return found


@dataclass
class ExportOptions:
    include_frames: bool = False  # put the frame images (JPEG) into the ZIP
    include_png_masks: bool = False  # COCO/YouTube-VIS: add DAVIS-style palette PNGs beside the JSON
    # CVAT cannot import masks inside a multi-frame track (it keeps only the first shape), so by
    # default every mask is written the way CVAT itself writes one: its own <track>, with the
    # object's identity kept in group_id. True writes one <track> per object instead, for tools
    # that read mask tracks; CVAT would then import only the first frame of each object.
    cvat_track_per_object: bool = False


# --------------------------------------------------------------------------- import result


@dataclass
class ImportedLabel:
    name: str
    color: str | None = None
    keypoints: list[str] = field(default_factory=list)  # from a keypoint file: the label's points
    edges: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class ImportedObject:
    key: str  # unique within one ImportResult; ImportedMask.object_key refers to it
    label_name: str
    track_id: int | None = None
    # A part region: the file's track id of its parent (an object of the same file) and its name.
    parent_track: int | None = None
    part: str | None = None


@dataclass
class ImportedMask:
    object_key: str
    frame_index: int
    rle: dict  # COCO compressed RLE, counts as str
    keyframe: bool  # feed to the engine as a key frame
    bbox: list[float] = field(default_factory=list)  # [x, y, w, h]
    area: int = 0
    source: MaskSource = "imported"
    score: float | None = None

    def __post_init__(self) -> None:
        if not self.bbox:
            self.bbox = rle_bbox(self.rle)
        if not self.area:
            self.area = rle_area(self.rle)


@dataclass
class ImportedKeypoints:
    object_key: str
    frame_index: int
    points: list[tuple[float, float, int]]  # in the label's order
    keyframe: bool = True


@dataclass
class ImportResult:
    labels_to_create: list[ImportedLabel]  # labels named in the file that the project lacks
    objects: list[ImportedObject]
    masks: list[ImportedMask]
    warnings: list[str] = field(default_factory=list)
    keypoints: list[ImportedKeypoints] = field(default_factory=list)
    # Labels the project has without keypoints, which take the file's (name -> points, edges).
    label_structures: dict[str, tuple[list[str], list[tuple[str, str]]]] = field(default_factory=dict)

    @property
    def keyframes(self) -> list[ImportedMask]:
        return [mask for mask in self.masks if mask.keyframe]


def missing_labels(names: Iterable[tuple[str, str | None]], labels: list[DatasetLabel]) -> list[ImportedLabel]:
    """Labels (name, colour) from a file that the project does not have, matched by name."""
    known = {label.name for label in labels}
    result: dict[str, ImportedLabel] = {}
    for name, color in names:
        if name not in known and name not in result:
            result[name] = ImportedLabel(name=name, color=color)
    return list(result.values())


# --------------------------------------------------------------------------- registry

FileContent = bytes | Iterable[bytes]
"""A ZIP entry: bytes, or an iterable (generator) of byte chunks written as they come."""

ExportFiles = Iterator[tuple[str, FileContent]]
Exporter = Callable[[ExportDataset, ExportOptions], ExportFiles]
Importer = Callable[..., ImportResult]
"""importer(data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel],
*, frame: int | None = None) -> ImportResult"""


@dataclass(frozen=True)
class FormatSpec:
    name: str
    title: str
    exporter: Exporter
    importer: Importer | None = None


FORMATS: dict[str, FormatSpec] = {}


def register_format(name: str, *, title: str, exporter: Exporter, importer: Importer | None = None) -> FormatSpec:
    """Add a format to FORMATS; each format module calls this once at import."""
    if name in FORMATS:
        raise ValueError(f"Format '{name}' is registered twice")
    FORMATS[name] = spec = FormatSpec(name=name, title=title, exporter=exporter, importer=importer)
    return spec


def get_format(name: str) -> FormatSpec:
    try:
        return FORMATS[name]
    except KeyError:
        raise FormatError(f"Unknown format '{name}'; expected one of {', '.join(sorted(FORMATS))}") from None


# --------------------------------------------------------------------------- masks


def checked_polygon(points: object, height: int, width: int, where: str) -> list[float]:
    """A polygon [x0, y0, x1, y1, ...] of at least 3 finite points near the frame, or FormatError.

    pycocotools rasterises a polygon by stepping along each edge pixel by pixel, in C and without
    checks: one NaN, infinite or far-away vertex makes it allocate until the process is killed,
    and 4 numbers are taken for a box. So every polygon from a file passes here first; vertices
    may lie outside the frame (the mask is clipped), but within one frame size of it."""
    if not isinstance(points, list) or not all(type(v) in (int, float) for v in points):
        raise FormatError(f"A polygon on {where} must be a list of numbers [x0, y0, x1, y1, ...]")
    if len(points) < 6 or len(points) % 2:
        raise FormatError(f"A polygon on {where} needs at least 3 points as x, y pairs; it has {len(points)} numbers")
    xs, ys = points[0::2], points[1::2]
    if not all(math.isfinite(v) for v in points):
        raise FormatError(f"A polygon on {where} has a coordinate that is not a finite number")
    if min(xs) < -width or max(xs) > 2 * width or min(ys) < -height or max(ys) > 2 * height:
        raise FormatError(f"A polygon on {where} lies far outside the {width}x{height} frame")
    return [float(v) for v in points]


def polygons_to_rle(polygons: list[list[float]], height: int, width: int, where: str = "a frame") -> dict:
    """COCO polygons ([[x0, y0, x1, y1, ...], ...]) to one compressed RLE."""
    if not isinstance(polygons, list) or not polygons:
        raise FormatError(f"A polygon segmentation on {where} must be a list of polygons [[x0, y0, ...], ...]")
    polygons = [checked_polygon(p, height, width, where) for p in polygons]
    rles = mask_utils.frPyObjects(polygons, height, width)
    merged = mask_utils.merge(rles) if isinstance(rles, list) else rles
    return {"size": [height, width], "counts": merged["counts"].decode("ascii")}


def safe_stem(name: str) -> str:
    """A file-system and ZIP-safe stem of a media name ('My clip.mp4' -> 'My_clip')."""
    stem = PurePosixPath(name.replace("\\", "/")).stem or "media"
    return re.sub(r"[^\w.-]+", "_", stem).strip("._") or "media"


def frame_from_file_name(file_name: str) -> int | None:
    """Frame number from a name like 'walk/00012.jpg' or 'frame_000012.png' (last digit run)."""
    digits = re.findall(r"\d+", PurePosixPath(file_name).stem)
    return int(digits[-1]) if digits else None
