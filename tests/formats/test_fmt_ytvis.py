import json

import numpy as np
import pytest
from formats_testdata import expected_masks, masks_by_object_frame, zip_of
from pycocotools import mask as mask_utils

from video_seg_backend.formats import FormatError, import_annotations


def test_export_has_videos_and_per_frame_lists_with_nulls(dataset):
    content = json.loads(zip_of(dataset, "ytvis").read("annotations/instances.json"))
    walk, clip = content["videos"]
    assert walk["length"] == 5 and walk["file_names"][2] == "walk/00002.jpg"
    assert clip["length"] == 3 and (walk["width"], walk["height"]) == (48, 40)
    assert [c["name"] for c in content["categories"]] == ["person", "car"]
    assert len(content["annotations"]) == 3
    car = content["annotations"][1]
    assert car["video_id"] == walk["id"] and car["category_id"] == 2
    assert car["segmentations"][2] is None and car["bboxes"][2] is None and car["areas"][2] is None
    for frame in (0, 1, 3, 4):
        decoded = mask_utils.decode(car["segmentations"][frame]).astype(bool)
        assert np.array_equal(decoded, expected_masks()[(2, frame)])
        assert car["areas"][frame] == int(decoded.sum())
        assert car["bboxes"][frame] == list(mask_utils.toBbox(car["segmentations"][frame]))


def test_round_trip(dataset):
    data = zip_of(dataset, "ytvis").fp.getvalue()
    result = import_annotations("ytvis", data, "ytvis.zip", dataset.media[1], dataset.labels)
    assert [o.label_name for o in result.objects] == ["car"]
    got = masks_by_object_frame(result)
    assert sorted(frame for _, frame in got) == [0, 1, 2]
    for (_, frame), bitmap in got.items():
        assert np.array_equal(bitmap, expected_masks()[(3, frame)])
    assert [m.frame_index for m in result.keyframes] == [0]


def test_a_coco_file_is_refused(dataset):
    data = json.dumps({"images": [], "annotations": []}).encode()
    with pytest.raises(FormatError, match="Expected a YouTube-VIS JSON file with 'videos'; this file is COCO"):
        import_annotations("ytvis", data, "x.json", dataset.media[0], dataset.labels)
