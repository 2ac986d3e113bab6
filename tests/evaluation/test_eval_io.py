"""Reading ground truth: DAVIS 2017 indexed palettes (with void) and DAVIS 2016 0/255 masks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from video_seg_backend.evaluation.io import (
    VOID_LABEL,
    decode_rle,
    encode_rle,
    find_davis_sequences,
    load_davis_sequence,
    load_ytvis_masks,
    read_label_png,
    write_label_png,
)

VOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "vos"


def need(sequence: str) -> Path:
    path = VOS / sequence
    if not (path / "Annotations").is_dir():
        pytest.skip(f"sample sequence {path} is missing (expected ../shared/data/vos beside the repository)")
    return path


def test_palette_sequence_keeps_object_ids_and_void() -> None:
    seq = load_davis_sequence(need("tennis-2f"))
    assert seq.num_frames == 2 and seq.shape == (480, 854)
    assert seq.object_ids() == [1, 2]
    assert seq.void.any(), "tennis-2f marks unlabelled border pixels as void (255)"
    assert set(np.unique(seq.labels)) == {0, 1, 2, VOID_LABEL}


def test_binary_0_255_sequence_is_object_one() -> None:
    seq = load_davis_sequence(need("blackswan"))
    assert seq.num_frames == 50
    assert seq.object_ids() == [1]
    assert set(np.unique(seq.labels)) == {0, 1}
    raw = np.array(Image.open(VOS / "blackswan" / "Annotations" / "00000.png"))
    assert np.array_equal(seq.labels[0] == 1, raw > 0)


def test_find_sequences_in_sample_layout() -> None:
    need("blackswan")
    found = find_davis_sequences(VOS)
    assert {"blackswan", "tennis-2f"} <= set(found)


def test_written_palette_png_reads_back(tmp_path: Path) -> None:
    labels = np.zeros((6, 8), np.uint8)
    labels[1:3, 1:3] = 1
    labels[4, :] = 2
    labels[0, 7] = VOID_LABEL
    write_label_png(labels, tmp_path / "00000.png")
    assert Image.open(tmp_path / "00000.png").mode == "P"
    assert np.array_equal(read_label_png(tmp_path / "00000.png"), labels)


def test_greyscale_index_png_is_not_binarised(tmp_path: Path) -> None:
    labels = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    Image.fromarray(labels).save(tmp_path / "ids.png")  # mode "L" with small ids
    assert np.array_equal(read_label_png(tmp_path / "ids.png"), labels)


def test_rle_round_trip_and_ytvis(tmp_path: Path) -> None:
    mask = np.zeros((5, 7), bool)
    mask[1:4, 2:6] = True
    rle = encode_rle(mask)
    assert isinstance(rle["counts"], str)
    assert np.array_equal(decode_rle(rle), mask)
    data = {
        "videos": [{"id": 3, "file_names": ["clip/00000.jpg", "clip/00001.jpg"], "height": 5, "width": 7}],
        "annotations": [{"id": 9, "video_id": 3, "category_id": 1, "segmentations": [rle, None]}],
        "categories": [{"id": 1, "name": "thing"}],
    }
    (tmp_path / "ytvis.json").write_text(json.dumps(data))
    tracks = load_ytvis_masks(tmp_path / "ytvis.json")
    assert list(tracks) == ["clip"] and list(tracks["clip"]) == [9]
    assert list(tracks["clip"][9]) == [0]
    assert np.array_equal(tracks["clip"][9][0], mask)
