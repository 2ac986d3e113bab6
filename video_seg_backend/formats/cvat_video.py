"""CVAT for video 1.1 (annotations.xml), written and read the way CVAT does.

Masks are CVAT's run lengths over the mask's box (see ``cvat``).

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
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree

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
from .cvat import (
    CVAT_NON_KEY_SOURCES,
    MASK_SHAPES,
    SOURCE_TO_CVAT,
    CvatMask,
    MetaReader,
    XmlWriter,
    cvat_rle_encode,
    object_attributes,
    part_of,
    shape_mask,
    sniff,
    write_meta,
    write_shape,
    xml_bytes,
)
from .frames import frame_files

EXPECTED = "Expected CVAT for video 1.1 XML with <track> elements"
IMAGES_FILE = EXPECTED + "; this file is CVAT for images 1.1 ({why}): import it with format cvat_images"


# --------------------------------------------------------------------------- export


def _mask_attrs(frame: int, cvat: CvatMask, *, keyframe: bool, outside: bool) -> dict[str, str]:
    # Attribute order as CVAT's dump_as_cvat_interpolation writes it.
    return {
        "frame": str(frame),
        "keyframe": str(int(keyframe)),
        "outside": str(int(outside)),
        "occluded": "0",
        **cvat.attrs(),
        "z_order": "0",
    }


def _video_xml(dataset: ExportDataset, media: DatasetMedia, options: ExportOptions) -> Iterator[bytes]:
    writer = XmlWriter()
    writer.start_document()
    write_meta(
        writer,
        dataset,
        task_id=media.id,
        name=media.name,
        size=media.num_frames,
        mode="interpolation",
        original_size=(media.width, media.height),
    )
    yield writer.take()

    objects = dataset.objects_of(media)
    masks: dict[int, list[DatasetMask]] = {obj.id: [] for obj in objects}
    for mask in dataset.masks_of(media):
        masks[mask.object_id].append(mask)
    # CVAT's rule for a shape's closing outside copy: only if it does not hop over the last frame.
    stop_frame = media.num_frames - 1
    track_id = 0
    group_of = {obj.id: group for group, obj in enumerate(objects, start=1)}
    for group, obj in enumerate(objects, start=1):
        attributes = object_attributes(obj, group_of)
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
                write_shape(
                    writer,
                    "mask",
                    _mask_attrs(mask.frame_index, cvat, keyframe=mask.is_keyframe, outside=False),
                    attributes,
                )
                following = encoded[position + 1][0].frame_index if position + 1 < len(encoded) else None
                if following != mask.frame_index + 1 and mask.frame_index + 1 < stop_frame + 1:
                    write_shape(
                        writer,
                        "mask",
                        _mask_attrs(mask.frame_index + 1, cvat, keyframe=True, outside=True),
                        attributes,
                    )
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
            write_shape(writer, "mask", _mask_attrs(mask.frame_index, cvat, keyframe=True, outside=False), attributes)
            if mask.frame_index + 1 < stop_frame:
                write_shape(
                    writer, "mask", _mask_attrs(mask.frame_index + 1, cvat, keyframe=True, outside=True), attributes
                )
            writer.close("track")
            track_id += 1
        yield writer.take()
    writer.end_document()
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


def _parse(xml: bytes, media: DatasetMedia) -> tuple[list[_Track], dict[str, str | None], list[str]]:
    tracks: list[_Track] = []
    meta = MetaReader()
    skipped: dict[str, int] = {}
    track: _Track | None = None
    attributes: dict[str, str] = {}  # the <attribute>s of the shape being read
    path: list[str] = []
    try:
        for event, el in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
            if event == "start":
                if not path and el.tag != "annotations":
                    raise FormatError(f"{EXPECTED}; the root element is <{el.tag}>, not <annotations>")
                path.append(el.tag)
                if el.tag == "image" and len(path) == 2:
                    raise FormatError(IMAGES_FILE.format(why="it has <image> elements"))
                if el.tag in MASK_SHAPES and track is not None:
                    attributes = {}
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
            if meta.end(tag, parent, el.text):
                if meta.mode == "annotation":
                    raise FormatError(IMAGES_FILE.format(why="meta mode is annotation"))
            elif track is not None and tag == "attribute" and parent in MASK_SHAPES:
                attributes[el.attrib.get("name", "")] = el.text or ""
            elif track is not None and parent == "track":
                if tag in MASK_SHAPES:
                    track.shapes.append({"type": tag, **el.attrib, "attributes": attributes})
                else:
                    skipped[tag] = skipped.get(tag, 0) + 1
            elif tag == "track" and track is not None:
                tracks.append(track)
                track = None
            if parent in ("annotations", "track"):
                el.clear()
    except ElementTree.ParseError as error:
        raise FormatError(f"{EXPECTED}; the file is not well-formed XML ({error})") from None
    meta.check_version(EXPECTED)
    size = meta.size
    if size and (size.get("width"), size.get("height")) != (media.width, media.height):
        raise FormatError(
            f"The CVAT task is {size.get('width')}x{size.get('height')}, but '{media.name}' is "
            f"{media.width}x{media.height}"
        )
    warnings = [
        f"{count} <{tag}> shapes were skipped (only mask, polygon and box become masks)"
        for tag, count in sorted(skipped.items())
    ]
    if not tracks and meta.mode != "interpolation":
        raise FormatError(f"{EXPECTED}; this file has none")
    return tracks, meta.label_colors, warnings


def import_cvat_video(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Masks from a CVAT for video 1.1 file (XML, or CVAT's export ZIP) for one video.

    Every visible mask, polygon or box shape becomes a mask on its frame; ``keyframe="1"``
    shapes are flagged as key frames; ``outside="1"`` hides the object from that frame on.
    Tracks sharing a group_id (and label) are one object. A mask written as a one-shape track
    (CVAT's way of exporting masks) is a key frame unless CVAT says an algorithm made it.
    """
    xml = xml_bytes(data, filename, media, EXPECTED)
    sniff(xml, EXPECTED)
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
        parent_track, part = part_of(visible[0]["attributes"])
        objects.setdefault(
            key,
            ImportedObject(key=key, label_name=track.label, track_id=track.group or int(track.id),
                           parent_track=parent_track, part=part),
        )  # fmt: skip
        mask_only_shape = len(visible) == 1 and visible[0]["type"] == "mask"
        for shape in visible:
            index = int(shape["frame"])
            if mask_only_shape:
                keyframe = track.source not in CVAT_NON_KEY_SOURCES
            else:
                keyframe = shape.get("keyframe", "0") == "1"
            bitmap = shape_mask(shape, media.height, media.width, EXPECTED, f"frame {index}")
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
