"""An AVA reader written to mmaction2's semantics (mmaction2/datasets/ava_dataset.py,
``AVADataset.load_data_list`` / ``parse_img_record`` and ``read_labelmap``), without mmaction2:

- each CSV row is ``video_id, timestamp, x1, y1, x2, y2, label, entity_id``;
- rows are keyed by ``f"{video_id},{timestamp:04d}"``; keys listed in the exclude file are dropped;
- within a key, rows with an identical box are one entry whose labels are a multi-hot vector,
  and whose entity id is the first row's.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass

import numpy as np


@dataclass
class AvaEntry:
    video_id: str
    timestamp: int
    boxes: np.ndarray  # (n, 4) normalised x1, y1, x2, y2
    labels: np.ndarray  # (n, num_classes) multi-hot
    entity_ids: np.ndarray  # (n,)


def read_labelmap(text: str) -> tuple[list[dict], set[int]]:
    labelmap, class_ids = [], set()
    name = ""
    for line in io.StringIO(text):
        if line.startswith("  name:"):
            name = line.split('"')[1]
        elif line.startswith("  id:") or line.startswith("  label_id:"):
            class_id = int(line.strip().split(" ")[-1])
            labelmap.append({"id": class_id, "name": name})
            class_ids.add(class_id)
    return labelmap, class_ids


def read_exclusions(text: str) -> set[str]:
    return {f"{row[0]},{int(row[1]):04d}" for row in csv.reader(io.StringIO(text)) if row}


def load(annotations: str, exclusions: str, num_classes: int) -> dict[str, AvaEntry]:
    excluded = read_exclusions(exclusions)
    records: dict[str, list[dict]] = defaultdict(list)
    for line in io.StringIO(annotations):
        split = line.strip().split(",")
        if not split or split == [""]:
            continue
        video_id, timestamp = split[0], int(split[1])
        key = f"{video_id},{timestamp:04d}"
        if key in excluded:
            continue
        records[key].append(
            {
                "video_id": video_id,
                "timestamp": timestamp,
                "entity_box": np.array(list(map(float, split[2:6]))),
                "label": int(split[6]),
                "entity_id": int(split[7]),
            }
        )
    entries = {}
    for key, img_records in records.items():
        boxes, labels, entity_ids = [], [], []
        while img_records:
            first = img_records[0]
            selected = [x for x in img_records if np.array_equal(x["entity_box"], first["entity_box"])]
            img_records = [x for x in img_records if not np.array_equal(x["entity_box"], first["entity_box"])]
            label = np.zeros(num_classes)
            label[[r["label"] for r in selected]] = 1.0
            boxes.append(first["entity_box"])
            labels.append(label)
            entity_ids.append(first["entity_id"])
        entries[key] = AvaEntry(
            first["video_id"], first["timestamp"], np.stack(boxes), np.stack(labels), np.array(entity_ids)
        )
    return entries
