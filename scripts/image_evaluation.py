#!/usr/bin/env python
"""IoU and Dice of image masks against ground truth, per class.

Two inputs:

    --gt GT.json --pred PRED.json       COCO files (the studio's COCO export vs COCO ground truth):
                                        images matched by file name, classes by category name;
                                        a class's mask on an image is the union of its instances.
                                        PRED may also be a COCO results list (image_id + segmentation).
    --gt-dir DIR --pred-dir DIR         PNG label maps with the same file names: pixel value = class
                                        id, 255 = void (ignored); 0/255 binary PNGs are class 1.

For each class: IoU and Dice averaged over the images where the class is in the ground truth or
the prediction, and the dataset-level IoU (all intersections over all unions), which large
objects dominate. Empty-in-both images do not count.

    python scripts/image_evaluation.py --gt gt/instances.json --pred export/annotations.json --json iou.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.evaluation.io import VOID_LABEL, coco_segmentation_to_mask, read_label_png  # noqa: E402
from video_seg_backend.evaluation.report import format_table, write_json  # noqa: E402

ClassMasks = dict[str, NDArray[np.bool_]]


class Accumulator:
    """Per-class intersections and unions, per image and in total."""

    def __init__(self) -> None:
        self.ious: dict[str, list[float]] = defaultdict(list)
        self.dices: dict[str, list[float]] = defaultdict(list)
        self.inter: dict[str, int] = defaultdict(int)
        self.union: dict[str, int] = defaultdict(int)
        self.sizes: dict[str, int] = defaultdict(int)

    def add(self, gt: ClassMasks, pred: ClassMasks, shape: tuple[int, int], void: NDArray | None) -> None:
        keep = np.ones(shape, bool) if void is None else ~void
        for name in set(gt) | set(pred):
            g = gt.get(name, np.zeros(shape, bool)) & keep
            p = pred.get(name, np.zeros(shape, bool)) & keep
            inter = int(np.count_nonzero(g & p))
            union = int(np.count_nonzero(g | p))
            total = int(np.count_nonzero(g)) + int(np.count_nonzero(p))
            if union == 0:
                continue
            self.ious[name].append(inter / union)
            self.dices[name].append(2 * inter / total)
            self.inter[name] += inter
            self.union[name] += union
            self.sizes[name] += 1

    def rows(self) -> list[dict[str, Any]]:
        rows = [
            {
                "class": name,
                "images": self.sizes[name],
                "IoU": float(np.mean(self.ious[name])),
                "Dice": float(np.mean(self.dices[name])),
                "dataset IoU": self.inter[name] / self.union[name],
            }
            for name in sorted(self.ious)
        ]
        if rows:
            rows.append(
                {
                    "class": "MEAN (over classes)",
                    "images": max(r["images"] for r in rows),
                    "IoU": float(np.mean([r["IoU"] for r in rows])),
                    "Dice": float(np.mean([r["Dice"] for r in rows])),
                    "dataset IoU": float(np.mean([r["dataset IoU"] for r in rows])),
                }
            )
        return rows


def _coco_class_masks(data: dict | list, images: dict[int, dict], categories: dict[int, str]) -> dict:
    annotations = data if isinstance(data, list) else data.get("annotations", [])
    masks: dict[int, ClassMasks] = defaultdict(dict)
    for ann in annotations:
        image = images.get(ann["image_id"])
        if image is None or ann.get("segmentation") is None:
            continue
        name = categories.get(ann["category_id"], str(ann["category_id"]))
        mask = coco_segmentation_to_mask(ann["segmentation"], image["height"], image["width"])
        current = masks[ann["image_id"]].get(name)
        masks[ann["image_id"]][name] = mask if current is None else current | mask
    return masks


def evaluate_coco(gt_path: Path, pred_path: Path) -> tuple[Accumulator, list[str]]:
    gt = json.loads(gt_path.read_text())
    pred = json.loads(pred_path.read_text())
    notes = []
    gt_images = {img["id"]: img for img in gt["images"]}
    gt_categories = {c["id"]: c["name"] for c in gt.get("categories", [])}
    if isinstance(pred, list):  # results list: ids refer to the ground truth's images and categories
        pred_images, pred_categories, id_map = gt_images, gt_categories, {i: i for i in gt_images}
    else:
        pred_images = {img["id"]: img for img in pred.get("images", [])}
        pred_categories = {c["id"]: c["name"] for c in pred.get("categories", [])}
        by_name = {Path(img["file_name"]).name: img["id"] for img in gt["images"]}
        id_map = {}
        for pid, img in pred_images.items():
            gid = by_name.get(Path(img["file_name"]).name)
            if gid is None:
                notes.append(f"predicted image {img['file_name']} is not in the ground truth")
            else:
                id_map[pid] = gid
    gt_masks = _coco_class_masks(gt, gt_images, gt_categories)
    pred_masks_raw = _coco_class_masks(pred, pred_images, pred_categories)
    pred_masks = {id_map[i]: m for i, m in pred_masks_raw.items() if i in id_map}
    unmatched = set(gt_images) - set(id_map.values())
    if unmatched and not isinstance(pred, list):
        notes.append(f"{len(unmatched)} ground-truth images have no predicted image (scored as empty)")
    acc = Accumulator()
    for image_id, image in tqdm(gt_images.items(), desc="images", unit="img"):
        acc.add(gt_masks.get(image_id, {}), pred_masks.get(image_id, {}), (image["height"], image["width"]), None)
    return acc, notes


def _png_class_masks(labels: NDArray[np.uint8]) -> ClassMasks:
    return {str(int(v)): labels == v for v in np.unique(labels) if v not in (0, VOID_LABEL)}


def evaluate_png_dirs(gt_dir: Path, pred_dir: Path) -> tuple[Accumulator, list[str]]:
    notes = []
    acc = Accumulator()
    gt_files = sorted(gt_dir.rglob("*.png"))
    if not gt_files:
        raise SystemExit(f"no PNG files in {gt_dir}")
    for gt_file in tqdm(gt_files, desc="images", unit="img"):
        gt_labels = read_label_png(gt_file)
        pred_file = pred_dir / gt_file.relative_to(gt_dir)
        if pred_file.exists():
            pred_labels = read_label_png(pred_file)
            if pred_labels.shape != gt_labels.shape:
                raise SystemExit(f"{pred_file} is {pred_labels.shape[::-1]}, {gt_file} is {gt_labels.shape[::-1]}")
        else:
            notes.append(f"{pred_file} missing (scored as empty)")
            pred_labels = np.zeros_like(gt_labels)
        acc.add(_png_class_masks(gt_labels), _png_class_masks(pred_labels), gt_labels.shape, gt_labels == VOID_LABEL)
    return acc, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gt", type=Path, help="COCO ground truth JSON")
    parser.add_argument("--pred", type=Path, help="COCO predictions JSON (a dataset or a results list)")
    parser.add_argument("--gt-dir", type=Path, help="folder of ground-truth label PNGs")
    parser.add_argument("--pred-dir", type=Path, help="folder of predicted label PNGs (same names)")
    parser.add_argument("--json", dest="json_out", help="write the results as JSON ('-': stdout)")
    args = parser.parse_args(argv)
    if args.gt and args.pred:
        acc, notes = evaluate_coco(args.gt, args.pred)
    elif args.gt_dir and args.pred_dir:
        acc, notes = evaluate_png_dirs(args.gt_dir, args.pred_dir)
    else:
        parser.error("give --gt and --pred (COCO JSON), or --gt-dir and --pred-dir (PNG folders)")
    rows = acc.rows()
    print(format_table(rows, ["class", "images", "IoU", "Dice", "dataset IoU"]))
    for note in notes[:20]:
        print(f"note: {note}")
    if len(notes) > 20:
        print(f"note: ... and {len(notes) - 20} more")
    if args.json_out:
        write_json({"classes": rows, "notes": notes}, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
