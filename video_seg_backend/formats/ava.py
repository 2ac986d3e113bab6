"""AVA (spatio-temporal actions): the layout of AVA v2.2 that mmaction2's ``AVADataset`` reads.

Layout::

    annotations.csv            video_id,timestamp,x1,y1,x2,y2,action_id,person_id (one row per
                               person-action pair; timestamp in whole seconds of the source
                               video; box corners normalised to [0, 1])
    action_list.pbtxt          the label map: label { name, label_id, label_type }
    excluded_timestamps.csv    video_id,timestamp of keyframes with no labelled person
    keyframes/<video_id>/<timestamp>.jpg   (include_frames) the frame at each keyframe second

Persons are the tracked objects (person_id is the object's track id), boxes are their masks'
bounding boxes on the keyframe. Import reads ``annotations.csv`` back into persons (a box-shaped
mask per keyframe) and, through the actions API, their labels.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from video_seg_backend.actions.vocabulary import ActionEntry, write_label_map

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
    encode_rle,
    missing_labels,
    register_format,
)

PERSON_LABEL = "person"
ANNOTATIONS = "annotations.csv"


@dataclass
class AvaPerson:
    person_id: int
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in pixels
    actions: list[int]


@dataclass
class AvaKeyframe:
    frame_index: int
    timestamp: int  # whole seconds of the source video
    persons: list[AvaPerson] = field(default_factory=list)


@dataclass
class AvaSource:
    """What only the actions part of the studio knows: the vocabulary, each media item's name in
    its source video, and its keyframes with their labelled persons."""

    vocabulary: list[ActionEntry]
    video_id: Callable[[DatasetMedia], str]
    keyframes: Callable[[DatasetMedia], Iterable[AvaKeyframe]]


@dataclass(frozen=True)
class AvaRow:
    video_id: str
    timestamp: int
    box: tuple[float, float, float, float]  # normalised
    action_id: int
    person_id: int


def _norm(value: float, size: int) -> str:
    return f"{min(1.0, max(0.0, value / size)):.3f}"


def export_ava(dataset: ExportDataset, options: ExportOptions) -> ExportFiles:
    source = dataset.actions
    if source is None or not source.vocabulary:
        raise FormatError("AVA export needs an action vocabulary: import a label map (.pbtxt or CSV) first")
    rows = io.StringIO()
    writer = csv.writer(rows, lineterminator="\n")
    labelled: set[tuple[str, int]] = set()
    unlabelled: list[tuple[str, int]] = []
    frames: list[tuple[str, bytes]] = []
    for media in dataset.media:
        if media.kind != "video":
            continue
        video_id = source.video_id(media)
        for keyframe in source.keyframes(media):
            key = (video_id, keyframe.timestamp)
            persons = [p for p in keyframe.persons if p.actions]
            if not persons:
                unlabelled.append(key)
                continue
            labelled.add(key)
            for person in persons:
                x1, y1, x2, y2 = person.box
                box = [_norm(x1, media.width), _norm(y1, media.height), _norm(x2, media.width), _norm(y2, media.height)]
                for action in sorted(person.actions):
                    writer.writerow([*key, *box, action, person.person_id])
            if options.include_frames and media.read_frame is not None:
                frames.append(
                    (f"keyframes/{video_id}/{keyframe.timestamp}.jpg", media.read_frame(keyframe.frame_index))
                )
    # A second another item labels (two clips meeting there) is not excluded: readers drop every
    # row of an excluded second.
    excluded = io.StringIO()
    csv.writer(excluded, lineterminator="\n").writerows(sorted(set(unlabelled) - labelled))
    yield ANNOTATIONS, rows.getvalue().encode()
    yield "action_list.pbtxt", write_label_map(source.vocabulary).encode()
    yield "excluded_timestamps.csv", excluded.getvalue().encode()
    yield from frames


def read_rows(data: bytes, filename: str) -> list[AvaRow]:
    """The rows of an AVA annotations CSV (alone, or as ``annotations.csv`` in an export ZIP)."""
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.rsplit("/", 1)[-1] == ANNOTATIONS]
            if not names:
                raise FormatError(f"'{filename}' holds no {ANNOTATIONS}; expected an AVA export")
            data = archive.read(names[0])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormatError(f"'{filename}' is not a text CSV; expected AVA annotations") from None
    rows = []
    for line, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not cells or not any(c.strip() for c in cells):
            continue
        if len(cells) != 8:
            raise FormatError(
                f"line {line} of '{filename}' has {len(cells)} fields; expected "
                "video_id,timestamp,x1,y1,x2,y2,action_id,person_id"
            )
        try:
            box = tuple(float(c) for c in cells[2:6])
            row = AvaRow(cells[0].strip(), int(cells[1]), box, int(cells[6]), int(cells[7]))  # type: ignore[arg-type]
        except ValueError:
            raise FormatError(f"line {line} of '{filename}' has a field that is not a number: {cells!r}") from None
        if not all(math.isfinite(v) and -0.01 <= v <= 1.01 for v in box) or box[2] <= box[0] or box[3] <= box[1]:
            raise FormatError(f"line {line} of '{filename}': the box {cells[2:6]} is not x1<x2, y1<y2 within [0, 1]")
        rows.append(row)
    if not rows:
        raise FormatError(f"'{filename}' holds no rows; expected AVA annotations")
    return rows


def rows_for_media(
    rows: list[AvaRow], media: DatasetMedia, video_id: str, start_seconds: float
) -> dict[tuple[int, int], AvaPerson]:
    """(person id, frame) -> the person's box (pixels) and actions, for the rows of this video whose
    timestamps fall inside the media item. FormatError when none do."""
    mine = [r for r in rows if r.video_id == video_id]
    if not mine:
        found = ", ".join(sorted({r.video_id for r in rows})[:5])
        raise FormatError(f"The file has no rows for video '{video_id}' (it has: {found})")
    if not media.fps:
        raise FormatError(f"'{media.name}' has no frame rate, so AVA timestamps cannot be placed on its frames")
    persons: dict[tuple[int, int], AvaPerson] = {}
    for r in mine:
        frame = round((r.timestamp - start_seconds) * media.fps)
        if not 0 <= frame < media.num_frames:
            raise FormatError(
                f"Timestamp {r.timestamp} of video '{video_id}' is outside '{media.name}' "
                f"({start_seconds:g} s to {start_seconds + media.num_frames / media.fps:g} s)"
            )
        x1, y1, x2, y2 = r.box
        box = (x1 * media.width, y1 * media.height, x2 * media.width, y2 * media.height)
        person = persons.setdefault((r.person_id, frame), AvaPerson(r.person_id, box, []))
        if r.action_id not in person.actions:
            person.actions.append(r.action_id)
    return persons


def box_mask(box: tuple[float, float, float, float], height: int, width: int) -> np.ndarray:
    x1, y1, x2, y2 = box
    mask = np.zeros((height, width), dtype=bool)
    mask[max(0, math.floor(y1)) : min(height, math.ceil(y2)), max(0, math.floor(x1)) : min(width, math.ceil(x2))] = True
    return mask


def import_ava(
    data: bytes, filename: str, media: DatasetMedia, labels: list[DatasetLabel], *, frame: int | None = None
) -> ImportResult:
    """Persons of this video (rows whose video_id is its name without extension) as objects with a
    box-shaped mask on each keyframe; the actions API's import restores their labels too."""
    persons = rows_for_media(read_rows(data, filename), media, media.stem, 0.0)
    objects = {pid: ImportedObject(key=str(pid), label_name=PERSON_LABEL, track_id=pid) for pid, _ in persons}
    masks = [
        ImportedMask(str(pid), f, encode_rle(box_mask(p.box, media.height, media.width)), keyframe=True)
        for (pid, f), p in sorted(persons.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    return ImportResult(missing_labels([(PERSON_LABEL, None)], labels), list(objects.values()), masks)


register_format("ava", title="AVA (actions per person and second)", exporter=export_ava, importer=import_ava)
