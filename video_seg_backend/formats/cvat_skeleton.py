"""CVAT 1.1 skeletons: "CVAT for video" as ``<track>`` of ``<skeleton>`` per frame, "CVAT for images" as
``<skeleton>`` inside each ``<image>``; each skeleton's ``<points>`` are named by sub-labels (``<parent>``
is the skeleton label) and its edges are the label's ``<svg>`` lines, as CVAT writes them.

Visibility maps to CVAT's flags: 2 visible, 1 ``occluded="1"``, 0 ``outside="1"``. A tracked frame is
written with ``keyframe="0"`` and read back as tracked. Only labels with keypoints are written. Import
checks the point names against the project's label as COCO keypoints does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from .base import (
    DatasetLabel,
    DatasetMedia,
    ExportDataset,
    ExportFiles,
    ExportOptions,
    FormatError,
    ImportedKeypoints,
    ImportedLabel,
    ImportedObject,
    ImportResult,
    frame_from_file_name,
    register_format,
)
from .coco_keypoints import name_difference
from .cvat import sniff, xml_bytes
from .cvat_images import _frame, image_names, video_frame_name
from .frames import frame_files, object_track_ids

Points = list[tuple[float, float, int]]


def _svg(label: DatasetLabel) -> str:
    """The skeleton's drawing as CVAT stores it: a circle per point, a line per edge (node ids 1-based)."""
    ids = {name: i + 1 for i, name in enumerate(label.keypoints)}
    lines = [f'<line x1="0" y1="0" x2="0" y2="0" data-type="edge" data-node-from="{ids[a]}" '
             f'data-node-to="{ids[b]}"></line>' for a, b in label.edges]  # fmt: skip
    circles = [f'<circle r="0.75" cx="{(i % 5) * 20}" cy="{(i // 5) * 20}" data-type="element node" '
               f'data-element-id="{i + 1}" data-node-id="{i + 1}" data-label-name="{escape(n)}"></circle>'
               for i, n in enumerate(label.keypoints)]  # fmt: skip
    return "".join(lines + circles)


def _meta(
    dataset: ExportDataset, name: str, size: int, mode: str, frame_size: tuple[int, int] | None = None
) -> ElementTree.Element:
    meta = ElementTree.Element("meta")
    task = ElementTree.SubElement(meta, "task")
    for tag, value in (("name", name), ("size", str(size)), ("mode", mode), ("start_frame", "0"),
                       ("stop_frame", str(size - 1))):  # fmt: skip
        ElementTree.SubElement(task, tag).text = value
    labels = ElementTree.SubElement(task, "labels")
    for label in dataset.labels:
        if not label.keypoints:
            continue
        el = ElementTree.SubElement(labels, "label")
        for tag, value in (("name", label.name), ("color", label.color), ("type", "skeleton")):
            ElementTree.SubElement(el, tag).text = value
        ElementTree.SubElement(el, "attributes")
        ElementTree.SubElement(el, "svg").text = _svg(label)
        for point in label.keypoints:
            sub = ElementTree.SubElement(labels, "label")
            for tag, value in (("name", point), ("color", label.color), ("type", "points")):
                ElementTree.SubElement(sub, tag).text = value
            ElementTree.SubElement(sub, "attributes")
            ElementTree.SubElement(sub, "parent").text = label.name
    if frame_size is not None:  # CVAT writes it for a video task; readers of tracks need it
        original = ElementTree.SubElement(task, "original_size")
        ElementTree.SubElement(original, "width").text = str(frame_size[0])
        ElementTree.SubElement(original, "height").text = str(frame_size[1])
    return meta


def _points(parent: ElementTree.Element, names: Sequence[str], points: Points, extra: dict[str, str]) -> None:
    for name, (x, y, v) in zip(names, points, strict=True):
        ElementTree.SubElement(parent, "points", {
            "label": name, **extra, "outside": "1" if v == 0 else "0", "occluded": "1" if v == 1 else "0",
            "points": f"{x:.2f},{y:.2f}",
        })  # fmt: skip


def _document(meta: ElementTree.Element, body: list[ElementTree.Element]) -> bytes:
    root = ElementTree.Element("annotations")
    ElementTree.SubElement(root, "version").text = "1.1"
    root.append(meta)
    root.extend(body)
    ElementTree.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="utf-8")


def _skeleton_items(
    dataset: ExportDataset, media: DatasetMedia
) -> Iterator[tuple[DatasetLabel, int, int, Points, bool]]:
    """(label, track id, frame, points, key frame) of each object with keypoints, by track then frame."""
    objects = {obj.id: obj for obj in dataset.objects}
    tracks = object_track_ids(dataset)
    found = sorted(dataset.keypoints_of(media), key=lambda k: (tracks[k.object_id], k.frame_index))
    for item in found:
        label = dataset.label(objects[item.object_id].label_id)
        if label.keypoints and len(item.points) == len(label.keypoints):
            yield label, tracks[item.object_id], item.frame_index, item.points, item.source == "key"


def _video_xml(dataset: ExportDataset, media: DatasetMedia) -> bytes:
    tracks: dict[int, ElementTree.Element] = {}
    for label, track, frame, points, key in _skeleton_items(dataset, media):
        el = tracks.get(track)
        if el is None:
            el = tracks[track] = ElementTree.Element("track", {"id": str(len(tracks)), "label": label.name,
                                                               "source": "manual", "group_id": str(track)})  # fmt: skip
        attrs = {"frame": str(frame), "keyframe": "1" if key else "0", "outside": "0", "occluded": "0", "z_order": "0"}
        skeleton = ElementTree.SubElement(el, "skeleton", attrs)
        _points(skeleton, label.keypoints, points, {"keyframe": "1" if key else "0"})
    return _document(
        _meta(dataset, media.name, media.num_frames, "interpolation", (media.width, media.height)),
        list(tracks.values()),
    )


def _images_xml(
    dataset: ExportDataset, media: list[DatasetMedia], name_of: Callable[[DatasetMedia, int], str]
) -> bytes:
    images: dict[tuple[int, int], ElementTree.Element] = {}
    for item in media:
        for index in range(item.num_frames):
            attrs = {"id": str(len(images)), "name": name_of(item, index), "width": str(item.width),
                     "height": str(item.height)}  # fmt: skip
            images[(item.id, index)] = ElementTree.Element("image", attrs)
        for label, track, frame, points, key in _skeleton_items(dataset, item):
            attrs = {"label": label.name, "source": "manual" if key else "auto", "occluded": "0", "z_order": "0",
                     "group_id": str(track)}  # fmt: skip
            skeleton = ElementTree.SubElement(images[(item.id, frame)], "skeleton", attrs)
            _points(skeleton, label.keypoints, points, {"source": "manual"})
    size = sum(item.num_frames for item in media)
    return _document(_meta(dataset, dataset.project_name, size, "annotation"), list(images.values()))


def export_cvat_video_skeleton(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    single = len(dataset.media) == 1
    for media in dataset.media:
        yield f"{'' if single else media.stem + '/'}annotations.xml", _video_xml(dataset, media)
    if options.include_frames:
        yield from frame_files(dataset, "images")


def export_cvat_images_skeleton(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    if dataset.media_type == "image":
        names = image_names(dataset.media)
        yield "annotations.xml", _images_xml(dataset, dataset.media, lambda item, _index: names[item.id])
        if options.include_frames:
            for item in dataset.media:
                yield f"images/{names[item.id]}", _frame(item, 0)
        return
    single = len(dataset.media) == 1
    for media in dataset.media:
        prefix = "" if single else media.stem + "/"
        xml = _images_xml(dataset, [media], lambda _item, index: video_frame_name(index))
        yield f"{prefix}annotations.xml", xml
        if options.include_frames:
            for index in range(media.num_frames):
                yield f"{prefix}images/{video_frame_name(index)}", _frame(media, index)


# --------------------------------------------------------------------------- import

EXPECTED = "Expected CVAT 1.1 XML with skeletons"


def _labels(
    root: ElementTree.Element, labels: list[DatasetLabel]
) -> dict[str, tuple[list[str], list[tuple[str, str]]]]:
    """Skeleton label -> (point names in order, edges), checked against the project's labels."""
    points: dict[str, list[str]] = {}
    svgs: dict[str, str] = {}
    for el in root.iterfind("./meta/*/labels/label"):
        name = (el.findtext("name") or "").strip()
        parent = (el.findtext("parent") or "").strip()
        if (el.findtext("type") or "") == "skeleton":
            points.setdefault(name, [])
            svgs[name] = el.findtext("svg") or ""
        elif parent:
            points.setdefault(parent, []).append(name)
    known = {label.name: label for label in labels}
    out = {}
    for name, names in points.items():
        nodes = {}
        edges = []
        svg = ElementTree.fromstring(f"<svg>{svgs.get(name, '')}</svg>")
        for circle in svg.iter("circle"):
            nodes[circle.get("data-node-id")] = circle.get("data-label-name")
        for line in svg.iter("line"):
            a, b = nodes.get(line.get("data-node-from")), nodes.get(line.get("data-node-to"))
            if a in names and b in names:
                edges.append((str(a), str(b)))
        label = known.get(name)
        if label is not None and label.keypoints and list(label.keypoints) != names:
            raise FormatError(name_difference(name, names, label.keypoints))
        out[name] = (names, edges)
    if not out:
        raise FormatError(f"{EXPECTED}; the file's labels have no skeleton")
    return out


def _read_points(skeleton: ElementTree.Element, names: list[str], where: str) -> Points:
    by_name = {}
    for el in skeleton.iterfind("points"):
        x, y = (float(v) for v in (el.get("points") or "").split(",")[:2])
        v = 0 if el.get("outside") == "1" else 1 if el.get("occluded") == "1" else 2
        by_name[el.get("label")] = (x, y, v)
    unknown = set(by_name) - set(names)
    if unknown:
        raise FormatError(f"{where}: point(s) {', '.join(sorted(map(str, unknown)))} are not in the skeleton")
    return [by_name.get(n, (0.0, 0.0, 0)) for n in names]


def _result(
    labels: list[DatasetLabel], structures: dict, objects: dict, points: list[ImportedKeypoints]
) -> ImportResult:
    known = {label.name for label in labels}
    used = {obj.label_name for obj in objects.values()}
    return ImportResult(
        labels_to_create=[
            ImportedLabel(name=n, keypoints=structures[n][0], edges=structures[n][1])
            for n in sorted(used)
            if n not in known
        ],  # fmt: skip
        objects=list(objects.values()),
        masks=[],
        keypoints=sorted(points, key=lambda k: (k.object_key, k.frame_index)),
        label_structures={n: s for n, s in structures.items() if n in used},
    )


def _root(data: bytes, filename: str, media: DatasetMedia) -> ElementTree.Element:
    xml = xml_bytes(data, filename, media, EXPECTED)
    sniff(xml, EXPECTED)
    return ElementTree.fromstring(xml)


def import_cvat_video_skeleton(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    root = _root(data, filename, media)
    structures = _labels(root, labels)
    objects: dict[str, ImportedObject] = {}
    points: list[ImportedKeypoints] = []
    for track in root.iterfind("track"):
        name = track.get("label") or ""
        if name not in structures:
            continue
        key = f"track-{track.get('id')}"
        group = track.get("group_id")
        objects[key] = ImportedObject(
            key=key, label_name=name, track_id=int(group) if group and group.isdigit() else None
        )
        for skeleton in track.iterfind("skeleton"):
            index = int(skeleton.get("frame") or -1)
            if not 0 <= index < media.num_frames:
                raise FormatError(f"Track {track.get('id')} has a skeleton on frame {index}, outside '{media.name}'")
            if skeleton.get("outside") == "1":
                continue
            pts = _read_points(skeleton, structures[name][0], f"Track {track.get('id')} frame {index}")
            points.append(ImportedKeypoints(key, index, pts, keyframe=skeleton.get("keyframe", "1") == "1"))
    return _result(labels, structures, objects, points)


def import_cvat_images_skeleton(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    root = _root(data, filename, media)
    structures = _labels(root, labels)
    objects: dict[str, ImportedObject] = {}
    points: list[ImportedKeypoints] = []
    for image in root.iterfind("image"):
        name_in_file = PurePosixPath(image.get("name") or "")
        if media.kind == "image" and name_in_file.stem not in (PurePosixPath(media.name).stem, media.stem):
            continue  # another image of the project
        index = 0 if media.kind == "image" else frame_from_file_name(name_in_file.name)
        if index is None or not 0 <= index < media.num_frames:
            raise FormatError(f"Image '{image.get('name')}' is not a frame of '{media.name}'")
        for n, skeleton in enumerate(image.iterfind("skeleton")):
            name = skeleton.get("label") or ""
            if name not in structures:
                continue
            group = skeleton.get("group_id") or ""
            key = f"group-{group}-{name}" if group not in ("", "0") else f"image-{image.get('id')}-{n}"
            objects.setdefault(
                key, ImportedObject(key=key, label_name=name, track_id=int(group) if group.isdigit() else None)
            )
            pts = _read_points(skeleton, structures[name][0], f"Image '{image.get('name')}'")
            points.append(ImportedKeypoints(key, index, pts, keyframe=skeleton.get("source") != "auto"))
    return _result(labels, structures, objects, points)


register_format("cvat_video_skeleton", title="CVAT for video 1.1 (skeleton tracks)",
                exporter=export_cvat_video_skeleton, importer=import_cvat_video_skeleton)  # fmt: skip
register_format("cvat_images_skeleton", title="CVAT for images 1.1 (skeletons)",
                exporter=export_cvat_images_skeleton, importer=import_cvat_images_skeleton)  # fmt: skip
