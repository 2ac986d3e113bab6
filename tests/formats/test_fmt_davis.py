import io
import json
import zipfile

import numpy as np
import pytest
from formats_testdata import H, W, expected_masks, masks_by_object_frame, zip_of
from PIL import Image

from video_seg_backend.formats import FormatError, import_annotations
from video_seg_backend.formats.davis import PALETTE, encode_index_png


def test_export_decodes_to_the_same_masks(dataset):
    archive = zip_of(dataset, "davis")
    assert archive.read("ImageSets/all.txt") == b"walk\nclip_two\n"
    mapping = json.loads(archive.read("Annotations/walk.json"))
    assert mapping["objects"]["1"]["label"] == "person" and mapping["objects"]["2"]["label"] == "car"
    assert mapping["objects"]["1"]["key_frames"] == [0, 3]
    expected = expected_masks()
    for frame in range(5):
        image = Image.open(io.BytesIO(archive.read(f"Annotations/walk/{frame:05d}.png")))
        assert image.mode == "P"
        assert image.getpalette()[:9] == [0, 0, 0, 128, 0, 0, 0, 128, 0]  # DAVIS colours
        indices = np.array(image)
        assert np.array_equal(indices == 1, expected[(1, frame)])
        assert np.array_equal(indices == 2, expected.get((2, frame), np.zeros((H, W), bool)))
    # the empty frame (car absent on frame 2) is still written, DAVIS tools want one PNG a frame
    assert len([n for n in archive.namelist() if n.startswith("Annotations/clip_two/")]) == 3


def test_round_trip_keeps_masks_labels_and_key_frames(dataset):
    data = zip_of(dataset, "davis").fp.getvalue()
    result = import_annotations("davis", data, "davis.zip", dataset.media[0], dataset.labels)
    assert [(o.key, o.label_name) for o in result.objects] == [("davis-1", "person"), ("davis-2", "car")]
    got = masks_by_object_frame(result)
    for (obj, frame), bitmap in expected_masks().items():
        if obj in (1, 2):
            assert np.array_equal(got[(f"davis-{obj}", frame)], bitmap)
    assert len(got) == 9
    assert sorted({m.frame_index for m in result.keyframes}) == [0, 3]


def png(array: np.ndarray, mode: str) -> bytes:
    buffer = io.BytesIO()
    if mode == "P":
        data = encode_index_png(array)
        return data
    Image.fromarray(array, mode=mode).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_binary_png_is_object_one_on_the_chosen_frame(dataset):
    bitmap = np.zeros((H, W), dtype=np.uint8)
    bitmap[5:15, 0:10] = 255
    result = import_annotations("davis", png(bitmap, "L"), "mask.png", dataset.media[0], dataset.labels, frame=3)
    (mask,) = result.masks
    assert mask.frame_index == 3 and mask.keyframe and mask.area == 100
    assert result.objects[0].label_name == "person"  # the project's first label


def test_void_255_in_a_palette_png_belongs_to_no_object(dataset):
    indices = np.zeros((H, W), dtype=np.uint8)
    indices[0:4, 0:4] = 1
    indices[10:20, 10:20] = 255
    result = import_annotations("davis", png(indices, "P"), "00004.png", dataset.media[0], dataset.labels)
    assert [(m.frame_index, m.area) for m in result.masks] == [(4, 16)]


def test_an_rgb_png_in_davis_colours_is_read_as_indices(dataset):
    indices = np.zeros((H, W), dtype=np.uint8)
    indices[0:4, 0:4] = 2
    rgb = np.array(PALETTE, dtype=np.uint8).reshape(256, 3)[indices]
    result = import_annotations("davis", png(rgb, "RGB"), "00001.png", dataset.media[0], dataset.labels)
    assert [(m.object_key, m.frame_index, m.area) for m in result.masks] == [("davis-2", 1, 16)]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("00009.png", png(np.ones((H, W), np.uint8), "P"), "'00009.png' is frame 9, outside 'walk.mp4'"),
        ("00001.png", png(np.ones((10, 10), np.uint8), "P"), "is 10x10, but 'walk.mp4' is 48x40"),
        ("a.xml", b"<annotations/>", "Expected DAVIS palette PNGs .*is XML"),
        ("a.png", png(np.full((H, W, 3), (1, 2, 3), np.uint8), "RGB"), "not in the DAVIS palette"),
    ],
)
def test_wrong_files_are_refused_with_what_was_expected(dataset, name, data, message):
    with pytest.raises(FormatError, match=message):
        import_annotations("davis", data, name, dataset.media[0], dataset.labels)


def test_a_zip_without_pngs_is_refused(dataset):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(FormatError, match="has no PNG files"):
        import_annotations("davis", buffer.getvalue(), "x.zip", dataset.media[0], dataset.labels)
