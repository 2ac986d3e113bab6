"""CVAT for images 1.1 (annotations.xml): every image, or every video frame, is an ``<image>``
holding its masks as plain shapes.

CVAT imports this file into image tasks and into video tasks alike: its loader matches an
``<image>`` to a task frame by name without extension, then by ``id`` as the frame number. Unlike
CVAT for video it keeps every mask (no mask tracks to lose), and datumaro reads it. Layout::

    annotations.xml            an image project: one <image> per image, named <stem>.<its uploaded extension>
    images/<stem>.png          (include_frames: the uploaded file)
    annotations.xml            one video: <image id="12" name="frame_000012.jpg"> for every frame
    images/frame_000012.jpg    (include_frames)
    <stem>/annotations.xml     several videos: a folder each, as each is its own CVAT task
    <stem>/images/...

An object's identity goes into ``group_id`` (its position in its media item, from 1), as CVAT
keeps groups through import and export, and whether a person made a mask into ``source``.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import PurePosixPath
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
    frame_from_file_name,
    missing_labels,
    register_format,
)
from .cvat import (
    CVAT_NON_KEY_SOURCES,
    MASK_SHAPES,
    SOURCE_TO_CVAT,
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

EXPECTED = "Expected CVAT for images 1.1 XML with <image> elements"
IMAGES_PER_CHUNK = 64


# --------------------------------------------------------------------------- export


def image_names(media: list[DatasetMedia]) -> dict[int, str]:
    """The ``<image name>`` of each image: its uploaded name's stem (what CVAT matches, without
    folders) with the extension it is exported under; the media id is added where two collide."""
    names: dict[int, str] = {}
    seen: set[str] = set()
    for item in media:
        stem = PurePosixPath(item.name.replace("\\", "/")).stem
        stem = re.sub(r"[\x00-\x1f\x7f]", "", stem).strip() or item.stem
        name = f"{stem}{item.frame_ext}"
        if name.lower() in seen:
            name = f"{stem}_{item.id}{item.frame_ext}"
        seen.add(name.lower())
        names[item.id] = name
    return names


def video_frame_name(index: int) -> str:
    """CVAT's name for frame ``index`` of a video task, with the frames' extension."""
    return f"frame_{index:06d}.jpg"


def _mask_attrs(mask: DatasetMask, label: str, group: int) -> dict[str, str] | None:
    cvat = cvat_rle_encode(decode_rle(mask.rle))
    if cvat is None:
        return None
    # Attribute order as CVAT's dump_as_cvat_annotation writes it.
    return {
        "label": label,
        "source": SOURCE_TO_CVAT.get(mask.source, "manual"),
        "occluded": "0",
        **cvat.attrs(),
        "z_order": "0",
        "group_id": str(group),
    }


def _xml(dataset: ExportDataset, media: list[DatasetMedia], names: dict[tuple[int, int], str]) -> Iterator[bytes]:
    """One CVAT task of ``media``: a video's frames, or a project's images. ``names`` maps
    (media id, frame) to the ``<image name>``; ids count frames across the task."""
    writer = XmlWriter()
    writer.start_document()
    video = media[0] if dataset.media_type == "video" else None
    write_meta(
        writer,
        dataset,
        task_id=video.id if video else 0,
        name=video.name if video else dataset.project_name,
        size=video.num_frames if video else len(media),
        mode="annotation",
        original_size=(video.width, video.height) if video else None,
    )
    yield writer.take()
    image_id = 0
    for item in media:
        group_of = {obj.id: group for group, obj in enumerate(dataset.objects_of(item), start=1)}
        label_of = {obj.id: dataset.label(obj.label_id).name for obj in dataset.objects_of(item)}
        attributes_of = {obj.id: object_attributes(obj, group_of) for obj in dataset.objects_of(item)}
        by_frame: dict[int, list[DatasetMask]] = defaultdict(list)
        for mask in dataset.masks_of(item):
            by_frame[mask.frame_index].append(mask)
        for index in range(item.num_frames):
            attrs = {
                "id": str(image_id),
                "name": names[(item.id, index)],
                "width": str(item.width),
                "height": str(item.height),
            }
            writer.open("image", attrs)
            for mask in sorted(by_frame.pop(index, []), key=lambda m: group_of[m.object_id]):
                shape = _mask_attrs(mask, label_of[mask.object_id], group_of[mask.object_id])
                if shape is not None:
                    write_shape(writer, "mask", shape, attributes_of[mask.object_id])
            writer.close("image")
            image_id += 1
            if image_id % IMAGES_PER_CHUNK == 0:
                yield writer.take()
    writer.end_document()
    yield writer.take()


def export_cvat_images(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    if dataset.media_type == "image":
        stems = image_names(dataset.media)
        names = {(item.id, 0): stems[item.id] for item in dataset.media}
        yield "annotations.xml", _xml(dataset, dataset.media, names)
        if options.include_frames:
            for item in dataset.media:
                yield f"images/{stems[item.id]}", _frame(item, 0)
        return
    single = len(dataset.media) == 1
    for item in dataset.media:
        prefix = "" if single else f"{item.stem}/"
        names = {(item.id, index): video_frame_name(index) for index in range(item.num_frames)}
        yield f"{prefix}annotations.xml", _xml(dataset, [item], names)
        if options.include_frames:
            for index in range(item.num_frames):
                yield f"{prefix}images/{video_frame_name(index)}", _frame(item, index)


def _frame(item: DatasetMedia, index: int) -> bytes:
    if item.read_frame is None:
        raise FormatError(f"Frames of '{item.name}' were asked for, but it has no frame reader")
    return item.read_frame(index)


# --------------------------------------------------------------------------- import


def _parse(xml: bytes) -> tuple[list[dict], MetaReader, dict[str, int]]:
    """The ``<image>`` elements (attributes plus ``shapes``), the header, and skipped shape counts."""
    images: list[dict] = []
    meta = MetaReader()
    skipped: dict[str, int] = {}
    image: dict | None = None
    attributes: dict[str, str] = {}  # the <attribute>s of the shape being read
    path: list[str] = []
    try:
        for event, el in ElementTree.iterparse(io.BytesIO(xml), events=("start", "end")):
            if event == "start":
                if not path and el.tag != "annotations":
                    raise FormatError(f"{EXPECTED}; the root element is <{el.tag}>, not <annotations>")
                path.append(el.tag)
                if el.tag == "track" and len(path) == 2:
                    raise FormatError(
                        f"{EXPECTED}; this file is CVAT for video 1.1 (it has <track> elements): "
                        "import it with format cvat_video"
                    )
                if el.tag == "image" and len(path) == 2:
                    image = {**el.attrib, "shapes": []}
                if el.tag in MASK_SHAPES and image is not None:
                    attributes = {}
                continue
            path.pop()
            tag = el.tag
            parent = path[-1] if path else None
            if meta.end(tag, parent, el.text):
                pass
            elif image is not None and tag == "attribute" and parent in MASK_SHAPES:
                attributes[el.attrib.get("name", "")] = el.text or ""
            elif image is not None and parent == "image":
                if tag in MASK_SHAPES:
                    image["shapes"].append({"type": tag, **el.attrib, "attributes": attributes})
                else:
                    skipped[tag] = skipped.get(tag, 0) + 1
            elif tag == "image" and image is not None:
                images.append(image)
                image = None
            if parent in ("annotations", "image"):
                el.clear()
    except ElementTree.ParseError as error:
        raise FormatError(f"{EXPECTED}; the file is not well-formed XML ({error})") from None
    meta.check_version(EXPECTED)
    if not images:
        if meta.mode == "interpolation":
            raise FormatError(f"{EXPECTED}; this file is CVAT for video 1.1: import it with format cvat_video")
        raise FormatError(f"{EXPECTED}; this file has none")
    return images, meta, skipped


def _frames_of(images: list[dict], media: DatasetMedia) -> list[tuple[int, dict]]:
    """(frame index, image) for each ``<image>`` that belongs to ``media``."""
    if media.kind == "image":
        wanted = {PurePosixPath(media.name.replace("\\", "/")).stem, media.stem}
        matching = [
            (0, image)
            for image in images
            if PurePosixPath(str(image.get("name", "")).replace("\\", "/")).stem in wanted
        ]
        if not matching:
            examples = ", ".join(repr(str(image.get("name"))) for image in images[:3])
            raise FormatError(
                f"None of the {len(images)} images in the CVAT file is named like '{media.name}' "
                f"(it has {examples}{', ...' if len(images) > 3 else ''})"
            )
        return matching
    frames = []
    for image in images:
        raw = image.get("id")
        index = int(raw) if raw is not None and raw.isdigit() else frame_from_file_name(str(image.get("name", "")))
        if index is None or not 0 <= index < media.num_frames:
            raise FormatError(
                f"Image '{image.get('name')}' is frame {index}, outside '{media.name}' "
                f"(frames 0 to {media.num_frames - 1})"
            )
        frames.append((index, image))
    return frames


def import_cvat_images(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Masks from a CVAT for images 1.1 file (XML, or CVAT's export ZIP) for one image or video.

    An image takes the ``<image>`` named like it (extension and folders aside); a video takes
    every ``<image>`` as the frame its ``id`` says. Each mask, polygon or box becomes a mask; shapes
    sharing a group_id and label are one object (pieces on one frame are merged), any other shape
    is an object of its own. Masks are key frames unless CVAT says an algorithm made them.
    """
    xml = xml_bytes(data, filename, media, EXPECTED)
    sniff(xml, EXPECTED)
    images, meta, skipped = _parse(xml)
    objects: dict[str, ImportedObject] = {}
    masks: dict[tuple[str, int], ImportedMask] = {}
    for index, image in _frames_of(images, media):
        size = (image.get("width"), image.get("height"))
        if all(size) and size != (str(media.width), str(media.height)):
            raise FormatError(
                f"Image '{image.get('name')}' is {size[0]}x{size[1]}, "
                f"but '{media.name}' is {media.width}x{media.height}"
            )
        for position, shape in enumerate(image["shapes"]):
            label = shape.get("label", "")
            group = int(shape.get("group_id", 0) or 0)
            key = f"group-{group}-{label}" if group else f"shape-{image.get('id', index)}-{position}"
            bitmap = shape_mask(shape, media.height, media.width, EXPECTED, f"image '{image.get('name')}'")
            keyframe = shape.get("source", "manual") not in CVAT_NON_KEY_SOURCES
            previous = masks.get((key, index))
            if previous is not None:  # grouped pieces of one object on one frame
                bitmap |= decode_rle(previous.rle)
                keyframe = keyframe or previous.keyframe
            if not bitmap.any():
                continue
            parent_track, part = part_of(shape["attributes"])
            objects.setdefault(
                key,
                ImportedObject(key=key, label_name=label, track_id=group or None, parent_track=parent_track, part=part),
            )
            masks[(key, index)] = ImportedMask(
                object_key=key, frame_index=index, rle=encode_rle(bitmap), keyframe=keyframe
            )
    used = sorted({obj.label_name for obj in objects.values()})
    warnings = [
        f"{count} <{tag}> shapes were skipped (only mask, polygon and box become masks)"
        for tag, count in sorted(skipped.items())
    ]
    return ImportResult(
        labels_to_create=missing_labels(((name, meta.label_colors.get(name)) for name in used), labels),
        objects=list(objects.values()),
        masks=sorted(masks.values(), key=lambda m: (m.object_key, m.frame_index)),
        warnings=warnings,
    )


register_format("cvat_images", title="CVAT for images 1.1", exporter=export_cvat_images, importer=import_cvat_images)
