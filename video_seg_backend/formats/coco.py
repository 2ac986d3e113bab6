"""COCO 1.0 instances: every frame is an image, every mask an RLE annotation.

Layout (the one CVAT and datumaro use)::

    annotations/instances_default.json
    images/default/<stem>/00000.jpg   (include_frames; images: <stem> with its uploaded extension, the uploaded file)
    masks/<stem>/00000.png            (include_png_masks: DAVIS palette PNGs, see davis.py)

Besides the COCO keys each annotation carries ``track_id`` (the object, stable across frames),
``source`` and ``score``; each image carries ``video`` and ``frame_index``. COCO readers ignore
them; our importer uses them to rebuild objects and key frames.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import PurePosixPath

from video_seg_backend.models import KEY_FRAME_SOURCES

from .base import (
    DatasetLabel,
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
    normalize_rle,
    polygons_to_rle,
    register_format,
    rle_area,
    rle_bbox,
)
from .frames import Categories, as_part, frame_files, object_track_ids, part_attributes

ANNOTATIONS_PATH = "annotations/instances_default.json"
IMAGES_DIR = "images/default"
_BATCH = 500  # annotations per written piece: small enough to stream, large enough to be quick


def image_ids(dataset: ExportDataset) -> dict[int, int]:
    """First COCO image id of each media item; frame i of it is that id + i."""
    first: dict[int, int] = {}
    next_id = 1
    for media in dataset.media:
        first[media.id] = next_id
        next_id += media.num_frames
    return first


def _header(dataset: ExportDataset, categories: Categories, first_image: dict[int, int]) -> bytes:
    images = []
    for media in dataset.media:
        for index in range(media.num_frames):
            image = {
                "id": first_image[media.id] + index,
                "file_name": media.frame_file_name(index),
                "width": media.width,
                "height": media.height,
                "license": 0,
                "flickr_url": "",
                "coco_url": "",
                "date_captured": 0,
                "video": media.stem,
                "frame_index": index,
            }
            images.append(image)
    head = {
        "info": {"description": dataset.project_name, "version": "1.0", "contributor": "Video-Seg Studio"},
        "licenses": [{"id": 0, "name": "", "url": ""}],
        "categories": [{"id": cid, "name": name, "supercategory": ""} for cid, name in categories.entries],
        "images": images,
    }
    text = json.dumps(head, separators=(",", ":"))
    return (text[:-1] + ',"annotations":[').encode()


def _annotations_json(dataset: ExportDataset) -> Iterator[bytes]:
    categories = Categories(dataset)
    first_image = image_ids(dataset)
    tracks = object_track_ids(dataset)
    objects = {obj.id: obj for obj in dataset.objects}
    yield _header(dataset, categories, first_image)
    next_id = 1
    batch: list[str] = []
    separator = b""
    for media in dataset.media:
        for mask in dataset.masks_of(media):
            area = rle_area(mask.rle)
            if area == 0:
                continue  # an absent object is no annotation
            obj = objects[mask.object_id]
            annotation = {
                "id": next_id,
                "image_id": first_image[media.id] + mask.frame_index,
                "category_id": categories.of(obj),
                "segmentation": normalize_rle(mask.rle),
                "area": area,
                "bbox": rle_bbox(mask.rle),
                "iscrowd": 0,
                "track_id": tracks[obj.id],
                "source": mask.source,
                "score": mask.score,
            }
            attributes = part_attributes(obj, tracks)
            if obj.annotator is not None:
                attributes["annotator"] = obj.annotator
            if attributes:
                annotation["attributes"] = attributes
            batch.append(json.dumps(annotation, separators=(",", ":")))
            next_id += 1
            if len(batch) >= _BATCH:
                yield separator + ",".join(batch).encode()
                separator, batch = b",", []
    if batch:
        yield separator + ",".join(batch).encode()
    yield b"]}"


def export_coco(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    yield ANNOTATIONS_PATH, _annotations_json(dataset)
    if options.include_frames:
        yield from frame_files(dataset, IMAGES_DIR)
    if options.include_png_masks:
        from .davis import palette_png_files

        yield from palette_png_files(dataset, "masks")


# --------------------------------------------------------------------------- import


def _load_json(data: bytes, filename: str) -> dict:
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".json")]
            preferred = [n for n in names if PurePosixPath(n).name.startswith("instances")]
            if not (preferred or names):
                raise FormatError(f"Expected a COCO JSON file (annotations/instances_*.json); '{filename}' has none")
            data = archive.read((preferred or names)[0])
    stripped = data.lstrip()
    if stripped.startswith(b"<"):
        raise FormatError("Expected a COCO JSON file with images and annotations; this file is XML (CVAT?)")
    try:
        content = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise FormatError(
            f"Expected a COCO JSON file with images and annotations; it does not parse: {error}"
        ) from None
    if not isinstance(content, dict):
        raise FormatError("Expected a COCO JSON object with images and annotations")
    if "videos" in content:
        raise FormatError("Expected a COCO JSON file with images and annotations; this file is YouTube-VIS")
    if "images" not in content or "annotations" not in content:
        raise FormatError("Expected a COCO JSON file with 'images' and 'annotations'")
    return content


def _frame_of_image(image: dict, media: DatasetMedia, single_video: bool) -> int | None:
    """Frame of `media` that a COCO image is, or None if it belongs to another media item."""
    file_name = str(image.get("file_name", ""))
    path = PurePosixPath(file_name.replace("\\", "/"))
    if media.kind == "image":
        names = {PurePosixPath(media.name).name, media.frame_file_name(0)}
        stems = {PurePosixPath(media.name).stem, media.stem}
        return 0 if path.name in names or file_name in names or path.stem in stems else None
    folder = image.get("video") or (path.parent.name if str(path.parent) != "." else None)
    if folder is not None and folder not in (media.stem, PurePosixPath(media.name).stem):
        if not single_video:
            return None
    if isinstance(image.get("frame_index"), int):
        return int(image["frame_index"])
    return frame_from_file_name(file_name)


def import_coco(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Masks of `media` from a COCO file (RLE or polygons), matched to it by image file name."""
    content = _load_json(data, filename)
    categories = {c["id"]: c["name"] for c in content.get("categories", [])}
    folders = {
        image.get("video") or PurePosixPath(str(image.get("file_name", ""))).parent.name for image in content["images"]
    }
    single_video = len(folders) <= 1
    frames: dict[int, int] = {}
    for image in content["images"]:
        index = _frame_of_image(image, media, single_video)
        if index is None:
            continue
        if frame is not None and len(content["images"]) == 1:
            index = frame
        if not 0 <= index < media.num_frames:
            raise FormatError(
                f"Image '{image.get('file_name')}' is frame {index}, outside '{media.name}' "
                f"(frames 0 to {media.num_frames - 1})"
            )
        if (image.get("width"), image.get("height")) not in ((media.width, media.height), (None, None)):
            raise FormatError(
                f"Image '{image.get('file_name')}' is {image.get('width')}x{image.get('height')}, "
                f"but '{media.name}' is {media.width}x{media.height}"
            )
        frames[image["id"]] = index
    if not frames:
        example = media.frame_file_name(0)
        raise FormatError(
            f"None of the {len(content['images'])} images in the COCO file match '{media.name}' "
            f"(expected file names like '{example}')"
        )

    objects: dict[str, ImportedObject] = {}
    masks: dict[tuple[str, int], ImportedMask] = {}
    warnings: list[str] = []
    skipped_boxes = 0
    for ann in content["annotations"]:
        index = frames.get(ann.get("image_id"))
        if index is None:
            continue
        segmentation = ann.get("segmentation")
        if isinstance(segmentation, dict):
            rle = normalize_rle(segmentation)
        elif isinstance(segmentation, list) and segmentation:
            rle = polygons_to_rle(segmentation, media.height, media.width, f"annotation {ann.get('id')}")
        else:
            skipped_boxes += 1
            continue
        if list(rle["size"]) != [media.height, media.width]:
            raise FormatError(
                f"Annotation {ann.get('id')} has a {rle['size'][1]}x{rle['size'][0]} mask, "
                f"but '{media.name}' is {media.width}x{media.height}"
            )
        label_name = categories.get(ann.get("category_id"), "object")
        track = ann.get("track_id", (ann.get("attributes") or {}).get("track_id"))
        key = f"track-{track}-{label_name}" if track is not None else f"ann-{ann.get('id')}"
        if key not in objects:
            made = ImportedObject(key=key, label_name=label_name, track_id=track)
            objects[key] = as_part(made, ann.get("attributes"))
        source = ann.get("source")
        keyframe = source in KEY_FRAME_SOURCES if source else True
        previous = masks.get((key, index))
        if previous is not None:  # two pieces of one object on one frame: one mask
            rle = encode_rle(decode_rle(previous.rle) | decode_rle(rle))
            keyframe = keyframe or previous.keyframe
        masks[(key, index)] = ImportedMask(
            object_key=key, frame_index=index, rle=rle, keyframe=keyframe, score=ann.get("score")
        )
    if skipped_boxes:
        warnings.append(f"{skipped_boxes} annotations without a segmentation (boxes only) were skipped")
    used = {obj.label_name for obj in objects.values()}
    return ImportResult(
        labels_to_create=missing_labels(((name, None) for name in sorted(used)), labels),
        objects=list(objects.values()),
        masks=sorted(masks.values(), key=lambda m: (m.object_key, m.frame_index)),
        warnings=warnings,
    )


register_format("coco", title="COCO 1.0 (instance masks as RLE)", exporter=export_coco, importer=import_coco)
