"""YouTube-VIS (2019/2021 layout): one entry per video, one annotation per object.

Layout::

    annotations/instances.json
    JPEGImages/<stem>/00000.jpg   (include_frames)
    masks/<stem>/00000.png        (include_png_masks: DAVIS palette PNGs)

Each annotation holds per-frame ``segmentations`` (compressed RLE), ``bboxes`` and ``areas``,
``null`` on frames where the object is absent. ``key_frames`` (our addition) lists the frames a
person prompted; readers that do not know it ignore it.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from pathlib import PurePosixPath

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
    missing_labels,
    normalize_rle,
    register_format,
    rle_area,
    rle_bbox,
)
from .frames import Categories, as_part, frame_files, object_track_ids, part_attributes

ANNOTATIONS_PATH = "annotations/instances.json"


def _instances_json(dataset: ExportDataset) -> Iterator[bytes]:
    categories = Categories(dataset)
    tracks = object_track_ids(dataset)
    head = {
        "info": {"description": dataset.project_name, "version": "1.0", "contributor": "Video-Seg Studio"},
        "licenses": [],
        "categories": [{"id": cid, "name": name, "supercategory": "object"} for cid, name in categories.entries],
        "videos": [
            {
                "id": video_id,
                "width": media.width,
                "height": media.height,
                "length": media.num_frames,
                "file_names": [media.frame_file_name(i) for i in range(media.num_frames)],
                "name": media.stem,
            }
            for video_id, media in enumerate(dataset.media, start=1)
        ],
    }
    text = json.dumps(head, separators=(",", ":"))
    yield (text[:-1] + ',"annotations":[').encode()
    next_id = 1
    for video_id, media in enumerate(dataset.media, start=1):
        per_object: dict[int, dict[int, dict]] = defaultdict(dict)
        key_frames: dict[int, list[int]] = defaultdict(list)
        scores: dict[int, list[float]] = defaultdict(list)
        for mask in dataset.masks_of(media):
            if rle_area(mask.rle) == 0:
                continue
            per_object[mask.object_id][mask.frame_index] = mask.rle
            if mask.score is not None:
                scores[mask.object_id].append(mask.score)
            if mask.is_keyframe:
                key_frames[mask.object_id].append(mask.frame_index)
        for obj in dataset.objects_of(media):
            frames = per_object.pop(obj.id, {})
            if not frames:
                continue
            segmentations = [normalize_rle(frames[i]) if i in frames else None for i in range(media.num_frames)]
            object_scores = scores.get(obj.id, [])
            annotation = {
                "id": next_id,
                "video_id": video_id,
                "category_id": categories.of(obj),
                "segmentations": segmentations,
                "bboxes": [rle_bbox(frames[i]) if i in frames else None for i in range(media.num_frames)],
                "areas": [rle_area(frames[i]) if i in frames else None for i in range(media.num_frames)],
                "iscrowd": 0,
                "width": media.width,
                "height": media.height,
                "length": 1,
                "track_id": tracks[obj.id],
                "key_frames": sorted(set(key_frames.get(obj.id, []))),
                "score": sum(object_scores) / len(object_scores) if object_scores else None,
            }
            if attributes := part_attributes(obj, tracks):
                annotation["attributes"] = attributes
            yield (b"," if next_id > 1 else b"") + json.dumps(annotation, separators=(",", ":")).encode()
            next_id += 1
    yield b"]}"


def export_ytvis(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    yield ANNOTATIONS_PATH, _instances_json(dataset)
    if options.include_frames:
        yield from frame_files(dataset, "JPEGImages")
    if options.include_png_masks:
        from .davis import palette_png_files

        yield from palette_png_files(dataset, "masks")


# --------------------------------------------------------------------------- import


def _load(data: bytes, filename: str) -> dict:
    if zipfile.is_zipfile(io.BytesIO(data)):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".json")]
            if not names:
                raise FormatError(f"Expected a YouTube-VIS JSON file; the ZIP '{filename}' has none")
            data = archive.read(names[0])
    try:
        content = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise FormatError("Expected a YouTube-VIS JSON file with videos and annotations; it is not JSON") from None
    if not isinstance(content, dict) or "videos" not in content:
        kind = "COCO" if isinstance(content, dict) and "images" in content else "something else"
        raise FormatError(f"Expected a YouTube-VIS JSON file with 'videos'; this file is {kind}")
    return content


def import_ytvis(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Masks of `media` from a YouTube-VIS file: the video named like it, or the only video."""
    content = _load(data, filename)
    videos = content["videos"]
    names = {media.stem, PurePosixPath(media.name).stem}

    def folder(video: dict) -> str:
        files = video.get("file_names") or [""]
        return video.get("name") or PurePosixPath(files[0]).parent.name

    matching = [v for v in videos if folder(v) in names] or (videos if len(videos) == 1 else [])
    if not matching:
        raise FormatError(f"None of the {len(videos)} videos in the YouTube-VIS file is named '{media.stem}'")
    video = matching[0]
    if video.get("length", media.num_frames) > media.num_frames:
        raise FormatError(
            f"The YouTube-VIS video has {video['length']} frames, but '{media.name}' has {media.num_frames}"
        )
    categories = {c["id"]: c["name"] for c in content.get("categories", [])}
    objects: list[ImportedObject] = []
    masks: list[ImportedMask] = []
    for ann in content.get("annotations", []):
        if ann.get("video_id") != video["id"]:
            continue
        key = f"ytvis-{ann.get('id')}"
        made = ImportedObject(
            key=key, label_name=categories.get(ann.get("category_id"), "object"), track_id=ann.get("track_id")
        )
        objects.append(as_part(made, ann.get("attributes")))
        key_frames = set(ann["key_frames"]) if "key_frames" in ann else None
        for index, segmentation in enumerate(ann.get("segmentations") or []):
            if not segmentation:
                continue
            rle = normalize_rle(segmentation)
            if list(rle["size"]) != [media.height, media.width]:
                raise FormatError(
                    f"Mask is {rle['size'][1]}x{rle['size'][0]}, but '{media.name}' is {media.width}x{media.height}"
                )
            keyframe = index in key_frames if key_frames is not None else True
            masks.append(ImportedMask(object_key=key, frame_index=index, rle=rle, keyframe=keyframe))
    used = sorted({obj.label_name for obj in objects})
    return ImportResult(
        labels_to_create=missing_labels(((name, None) for name in used), labels), objects=objects, masks=masks
    )


register_format("ytvis", title="YouTube-VIS", exporter=export_ytvis, importer=import_ytvis)
