import io
import json
import zipfile

import numpy as np
import pytest
from formats_testdata import H, W, expected_masks, make_dataset, masks_by_object_frame, zip_of
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from video_seg_backend.formats import FormatError, import_annotations


def test_pycocotools_loads_the_export_and_every_mask_decodes_to_the_stored_one(dataset, tmp_path):
    archive = zip_of(dataset, "coco")
    path = tmp_path / "instances.json"
    path.write_bytes(archive.read("annotations/instances_default.json"))
    coco = COCO(str(path))

    assert len(coco.getImgIds()) == 5 + 3  # every frame of both videos is an image
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["person", "car"]
    expected = expected_masks()
    assert len(coco.getAnnIds()) == len(expected) == 12
    images = {img["id"]: img for img in coco.loadImgs(coco.getImgIds())}
    for ann in coco.loadAnns(coco.getAnnIds()):
        image = images[ann["image_id"]]
        obj = {("walk", 1): 1, ("walk", 2): 2, ("clip_two", 1): 3}[(image["video"], ann["track_id"])]
        stored = expected[(obj, image["frame_index"])]
        decoded = coco.annToMask(ann).astype(bool)
        assert np.array_equal(decoded, stored)
        assert ann["area"] == int(stored.sum())
        ys, xs = np.nonzero(stored)
        assert ann["bbox"] == [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]
        assert ann["iscrowd"] == 0 and isinstance(ann["segmentation"]["counts"], str)
        assert image["file_name"] == f"{image['video']}/{image['frame_index']:05d}.jpg"


def test_round_trip_restores_objects_masks_and_key_frames(dataset):
    data = zip_of(dataset, "coco").fp.getvalue()
    walk = dataset.media[0]
    result = import_annotations("coco", data, "export.zip", walk, dataset.labels)

    assert result.labels_to_create == []
    assert sorted(o.label_name for o in result.objects) == ["car", "person"]
    got = masks_by_object_frame(result)
    key_of = {o.label_name: o.key for o in result.objects}
    for (obj, frame), bitmap in expected_masks().items():
        if obj in (1, 2):
            assert np.array_equal(got[(key_of["person" if obj == 1 else "car"], frame)], bitmap)
    assert len(got) == 9
    assert sorted({m.frame_index for m in result.keyframes}) == [0, 3]  # prompt and edited frames


def test_streamed_masks_give_the_same_export(dataset):
    assert zip_of(make_dataset(masks_as_function=True), "coco").read("annotations/instances_default.json") == zip_of(
        dataset, "coco"
    ).read("annotations/instances_default.json")


def coco_file(images, annotations, categories=({"id": 1, "name": "dog"},)):
    return json.dumps({"images": images, "annotations": annotations, "categories": list(categories)}).encode()


def test_polygons_become_masks_and_unknown_labels_are_reported(dataset):
    walk = dataset.media[0]
    polygon = [[4, 4, 20, 4, 20, 12, 4, 12]]
    data = coco_file(
        [{"id": 7, "file_name": "00002.jpg", "width": W, "height": H}],
        [{"id": 1, "image_id": 7, "category_id": 1, "segmentation": polygon, "bbox": [4, 4, 16, 8], "iscrowd": 0}],
    )
    result = import_annotations("coco", data, "dog.json", walk, dataset.labels)
    assert [label.name for label in result.labels_to_create] == ["dog"]
    (mask,) = result.masks
    assert mask.frame_index == 2 and mask.keyframe
    expected = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygon, H, W))).astype(bool)
    assert np.array_equal(masks_by_object_frame(result)[(mask.object_key, 2)], expected)


def test_datumaro_imports_the_export_with_the_same_counts(dataset, tmp_path):
    datumaro = pytest.importorskip("datumaro")
    # datumaro insists on an images/ folder, so the frames go in too
    zip_of(dataset, "coco", include_frames=True).extractall(tmp_path)
    imported = datumaro.Dataset.import_from(str(tmp_path), "coco_instances")
    assert len(imported) == 8
    masks = [a for item in imported for a in item.annotations if a.type.name == "mask"]
    assert len(masks) == 12
    by_id = {item.id: item for item in imported}
    first = [a for a in by_id["walk/00000"].annotations if a.type.name == "mask"]
    assert sorted(int(a.image.sum()) for a in first) == sorted(int(expected_masks()[(obj, 0)].sum()) for obj in (1, 2))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<?xml version="1.0"?><annotations/>', "this file is XML"),
        (json.dumps({"videos": [], "annotations": []}).encode(), "this file is YouTube-VIS"),
        (b"{not json", "Expected a COCO JSON file"),
        (
            coco_file(
                [{"id": i, "file_name": f"{v}/00000.jpg", "width": W, "height": H} for i, v in enumerate("ab")], []
            ),
            "None of the 2 images in the COCO file match 'walk.mp4'",
        ),
        (coco_file([{"id": 1, "file_name": "walk/00009.jpg", "width": W, "height": H}], []), "frame 9, outside"),
        (coco_file([{"id": 1, "file_name": "walk/00001.jpg", "width": 10, "height": 10}], []), "is 10x10"),
    ],
)
def test_wrong_files_are_refused_with_what_was_expected(dataset, data, message):
    with pytest.raises(FormatError, match=message):
        import_annotations("coco", data, "file", dataset.media[0], dataset.labels)


def test_png_masks_ride_along_when_asked(dataset):
    names = zip_of(dataset, "coco", include_png_masks=True).namelist()
    assert "masks/walk/00004.png" in names and "masks/walk.json" in names


def test_a_coco_zip_is_read_like_its_json(dataset):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "annotations/instances_default.json", zip_of(dataset, "coco").read("annotations/instances_default.json")
        )
    result = import_annotations("coco", buffer.getvalue(), "x.zip", dataset.media[1], dataset.labels)
    assert len(result.masks) == 3 and len(result.objects) == 1


def test_an_image_project_exports_and_imports_by_file_name():
    from formats_testdata import ring

    from video_seg_backend.formats import DatasetLabel, DatasetMask, DatasetMedia, DatasetObject, ExportDataset
    from video_seg_backend.formats.base import encode_rle

    media = [DatasetMedia(1, "cat.png", "image", W, H), DatasetMedia(2, "dog.png", "image", W, H)]
    dataset = ExportDataset(
        "images",
        "image",
        [DatasetLabel(1, "pet")],
        media,
        [DatasetObject(1, 1, 1), DatasetObject(2, 2, 1)],
        [DatasetMask(1, 0, encode_rle(ring(0)), "prompt"), DatasetMask(2, 0, encode_rle(ring(3)), "edited")],
    )
    content = json.loads(zip_of(dataset, "coco").read("annotations/instances_default.json"))
    assert [image["file_name"] for image in content["images"]] == ["cat.jpg", "dog.jpg"]
    data = json.dumps(content).encode()
    result = import_annotations("coco", data, "x.json", media[1], dataset.labels)
    (mask,) = result.masks
    assert mask.frame_index == 0 and np.array_equal(masks_by_object_frame(result)[(mask.object_key, 0)], ring(3))
