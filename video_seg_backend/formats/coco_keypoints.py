"""COCO keypoints (``person_keypoints_default.json``, the name CVAT and datumaro use): one annotation
per object per frame that has points, with ``keypoints`` [x, y, v, ...], ``num_keypoints``, the
object's mask (RLE) and box where it has one, and its track id in ``attributes``; each category with
points carries ``keypoints`` and ``skeleton`` (1-based pairs). Labels without keypoints are left out.

Import reads the same; a category's point names must equal the project label's (same names, same
order), or the file is refused naming the difference. A label without points takes the file's.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from .base import (
    DatasetKeypoints,
    DatasetLabel,
    DatasetMedia,
    ExportDataset,
    ExportFiles,
    ExportOptions,
    FormatError,
    ImportedKeypoints,
    ImportedLabel,
    ImportedMask,
    ImportedObject,
    ImportResult,
    normalize_rle,
    register_format,
    rle_area,
    rle_bbox,
)
from .coco import IMAGES_DIR, _frame_of_image, _load_json, image_ids
from .frames import frame_files, label_ids, object_track_ids

ANNOTATIONS_PATH = "annotations/person_keypoints_default.json"


def points_box(points: Sequence[tuple[float, float, int]]) -> list[float]:
    labelled = [(x, y) for x, y, v in points if v > 0]
    if not labelled:
        return [0.0, 0.0, 0.0, 0.0]
    xs, ys = [p[0] for p in labelled], [p[1] for p in labelled]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def keypoint_categories(dataset: ExportDataset) -> list[dict]:
    ids = label_ids(dataset)
    out = []
    for label in dataset.labels:
        if not label.keypoints:
            continue
        index = {name: i + 1 for i, name in enumerate(label.keypoints)}
        skeleton = [[index[a], index[b]] for a, b in label.edges]
        out.append({"id": ids[label.id], "name": label.name, "supercategory": "", "keypoints": label.keypoints,
                    "skeleton": skeleton})  # fmt: skip
    return out


def _annotation(
    next_id: int, image_id: int, category: int, track: int, item: DatasetKeypoints, rle: dict | None
) -> dict:
    flat: list[float] = []
    for x, y, v in item.points:
        flat += [round(float(x), 2), round(float(y), 2), int(v)] if v else [0, 0, 0]
    box = rle_bbox(rle) if rle is not None else points_box(item.points)
    return {
        "id": next_id,
        "image_id": image_id,
        "category_id": category,
        "segmentation": normalize_rle(rle) if rle is not None else [],
        "area": rle_area(rle) if rle is not None else box[2] * box[3],
        "bbox": box,
        "iscrowd": 0,
        "keypoints": flat,
        "num_keypoints": sum(1 for _, _, v in item.points if v > 0),
        "attributes": {"track_id": track, "keypoint_source": item.source},
    }


def _image(media: DatasetMedia, first_id: int, index: int) -> dict:
    return {"id": first_id + index, "file_name": media.frame_file_name(index), "width": media.width,
            "height": media.height, "video": media.stem, "frame_index": index}  # fmt: skip


def export_coco_keypoints(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    categories = label_ids(dataset)
    first_image = image_ids(dataset)
    tracks = object_track_ids(dataset)
    objects = {obj.id: obj for obj in dataset.objects}
    with_points = {label.id for label in dataset.labels if label.keypoints}
    images: list[dict] = []
    annotations: list[dict] = []
    for media in dataset.media:
        images += [_image(media, first_image[media.id], i) for i in range(media.num_frames)]
        found = [k for k in dataset.keypoints_of(media) if objects[k.object_id].label_id in with_points]
        if not found:
            continue
        wanted = {(k.object_id, k.frame_index) for k in found}
        masks = {
            (m.object_id, m.frame_index): m.rle
            for m in dataset.masks_of(media)
            if (m.object_id, m.frame_index) in wanted
        }
        for item in found:
            obj = objects[item.object_id]
            annotations.append(_annotation(len(annotations) + 1, first_image[media.id] + item.frame_index,
                                           categories[obj.label_id], tracks[obj.id], item,
                                           masks.get((item.object_id, item.frame_index))))  # fmt: skip
    content = {
        "info": {"description": dataset.project_name, "version": "1.0", "contributor": "Video-Seg Studio"},
        "licenses": [{"id": 0, "name": "", "url": ""}],
        "categories": keypoint_categories(dataset),
        "images": images,
        "annotations": annotations,
    }
    yield ANNOTATIONS_PATH, json.dumps(content, separators=(",", ":")).encode()
    if options.include_frames:
        yield from frame_files(dataset, IMAGES_DIR)


def name_difference(label: str, file_names: Sequence[str], label_names: Sequence[str]) -> str:
    missing = [n for n in label_names if n not in file_names]
    extra = [n for n in file_names if n not in label_names]
    parts = [f"the file lacks {', '.join(missing)}"] if missing else []
    parts += [f"the file adds {', '.join(extra)}"] if extra else []
    if not parts:
        parts = [f"same names in another order ({', '.join(file_names)})"]
    return f"Keypoints of '{label}' do not match the label's ({', '.join(label_names)}): {'; '.join(parts)}"


def checked_categories(content: dict, labels: list[DatasetLabel]) -> dict[int, tuple[str, list[str], list]]:
    """Category id -> (label name, point names, skeleton as name pairs), each checked against the project."""
    by_name = {label.name: label for label in labels}
    out: dict[int, tuple[str, list[str], list]] = {}
    for category in content.get("categories", []):
        names = category.get("keypoints") or []
        if not names:
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise FormatError(f"Category '{category.get('name')}': keypoints must be a list of names")
        name = str(category.get("name"))
        edges = []
        for pair in category.get("skeleton") or []:
            a, b = pair
            if not (1 <= a <= len(names) and 1 <= b <= len(names)):
                raise FormatError(f"Category '{name}': skeleton edge {pair} refers to a point it does not have")
            edges.append((names[a - 1], names[b - 1]))
        label = by_name.get(name)
        if label is not None and label.keypoints and list(label.keypoints) != names:
            raise FormatError(name_difference(name, names, label.keypoints))
        out[category["id"]] = (name, names, edges)
    return out


def import_coco_keypoints(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Keypoints (and masks, where annotations have them) of `media` from a COCO keypoints file."""
    content = _load_json(data, filename)
    categories = checked_categories(content, labels)
    if not categories:
        raise FormatError("Expected COCO keypoints: no category in the file lists 'keypoints'")
    single_video = len({i.get("video") for i in content["images"]}) <= 1
    frames = {}
    for image in content["images"]:
        index = _frame_of_image(image, media, single_video)
        if index is not None:
            if not 0 <= index < media.num_frames:
                raise FormatError(f"Image '{image.get('file_name')}' is frame {index}, outside '{media.name}'")
            frames[image["id"]] = index
    if not frames:
        raise FormatError(
            f"None of the images in the file match '{media.name}' (expected '{media.frame_file_name(0)}')"
        )
    objects: dict[str, ImportedObject] = {}
    points: dict[tuple[str, int], ImportedKeypoints] = {}
    masks: list[ImportedMask] = []
    for ann in content["annotations"]:
        index = frames.get(ann.get("image_id"))
        if index is None or ann.get("category_id") not in categories:
            continue
        name, names, _ = categories[ann["category_id"]]
        flat = ann.get("keypoints") or []
        if len(flat) != 3 * len(names) or not all(isinstance(v, int | float) for v in flat):
            raise FormatError(
                f"Annotation {ann.get('id')}: expected {3 * len(names)} numbers for {len(names)} keypoints"
            )
        triples = [(float(flat[i]), float(flat[i + 1]), int(flat[i + 2])) for i in range(0, len(flat), 3)]
        if any(v not in (0, 1, 2) for _, _, v in triples):
            raise FormatError(f"Annotation {ann.get('id')}: a keypoint's visibility is not 0, 1 or 2")
        attributes = ann.get("attributes") or {}
        track = attributes.get("track_id", ann.get("track_id"))
        key = f"track-{track}-{name}" if track is not None else f"ann-{ann.get('id')}"
        objects.setdefault(key, ImportedObject(key=key, label_name=name, track_id=track))
        keyframe = attributes.get("keypoint_source", "key") != "tracked"
        points[(key, index)] = ImportedKeypoints(object_key=key, frame_index=index, points=triples, keyframe=keyframe)
        if isinstance(ann.get("segmentation"), dict):
            masks.append(ImportedMask(object_key=key, frame_index=index, rle=normalize_rle(ann["segmentation"]),
                                      keyframe=keyframe))  # fmt: skip
    known = {label.name: label for label in labels}
    used = {obj.label_name for obj in objects.values()}
    structures = {n: (names, edges) for n, names, edges in categories.values() if n in used}
    return ImportResult(
        labels_to_create=[
            ImportedLabel(name=n, keypoints=structures[n][0], edges=structures[n][1])
            for n in sorted(used)
            if n not in known
        ],  # fmt: skip
        objects=list(objects.values()),
        masks=masks,
        keypoints=sorted(points.values(), key=lambda k: (k.object_key, k.frame_index)),
        label_structures=structures,
    )


register_format(
    "coco_keypoints",
    title="COCO keypoints (points, skeleton, masks, track id)",
    exporter=export_coco_keypoints,
    importer=import_coco_keypoints,
)
