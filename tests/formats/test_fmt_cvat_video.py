import io
import json
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
from formats_testdata import H, W, expected_masks, masks_by_object_frame, ring, zip_of

from video_seg_backend.formats import (
    DatasetLabel,
    DatasetMask,
    DatasetMedia,
    DatasetObject,
    ExportDataset,
    FormatError,
    import_annotations,
)
from video_seg_backend.formats.base import decode_rle, encode_rle
from video_seg_backend.formats.cvat import CvatMask, cvat_rle_decode, cvat_rle_encode

FIXTURE = Path(__file__).parent / "fixtures" / "cvat_video_keyframes.xml"
STREET = DatasetMedia(200, "street.mp4", "video", W, H, num_frames=10, fps=30.0)
LABELS = [DatasetLabel(1, "person", "#ff0000"), DatasetLabel(2, "car", "#00ff00")]


def test_rle_matches_a_hand_worked_example():
    # 4x5 frame; the mask's box is columns 1-3, rows 1-2:  1 1 0 / 1 0 1
    mask = np.array(
        [[0, 0, 0, 0, 0], [0, 1, 1, 0, 0], [0, 1, 0, 1, 0], [0, 0, 0, 0, 0]],
        dtype=bool,
    )
    # row-major over the box, first run is background (empty here): 0, 11, 0, 1, 0, 1 -> runs
    assert cvat_rle_encode(mask) == CvatMask(rle=[0, 2, 1, 1, 1, 1], left=1, top=1, width=3, height=2)
    assert np.array_equal(cvat_rle_decode(CvatMask([0, 2, 1, 1, 1, 1], 1, 1, 3, 2), 4, 5), mask)
    # a box starting with background: 0 1 / 1 1 -> one background pixel, then three
    corner = np.array([[0, 1], [1, 1]], dtype=bool)
    assert cvat_rle_encode(corner) == CvatMask(rle=[1, 3], left=0, top=0, width=2, height=2)
    assert cvat_rle_encode(np.zeros((3, 3), bool)) is None


def test_rle_round_trips_masks_with_holes_and_on_the_border():
    for bitmap in expected_masks().values():
        assert np.array_equal(cvat_rle_decode(cvat_rle_encode(bitmap), H, W), bitmap)


def test_export_writes_each_mask_as_cvat_does(dataset):
    root = ElementTree.fromstring(zip_of(dataset, "cvat_video").read("walk/annotations.xml"))
    assert root.findtext("version") == "1.1"
    assert root.findtext("meta/task/mode") == "interpolation"
    assert root.findtext("meta/task/size") == "5"
    assert [el.text for el in root.iter("name") if el.text in ("person", "car")] == ["person", "car"]
    assert root.find("image") is None
    tracks = root.findall("track")
    assert len(tracks) == 9  # one per mask: 5 person + 4 car
    person = [t for t in tracks if t.get("label") == "person"]
    assert {t.get("group_id") for t in person} == {"1"}
    first = person[0].findall("mask")
    assert [(m.get("frame"), m.get("keyframe"), m.get("outside")) for m in first] == [
        ("0", "1", "0"),
        ("1", "1", "1"),
    ]
    assert person[0].get("source") == "semi-auto" and person[1].get("source") == "auto"
    attrs = list(first[0].attrib)
    assert attrs == ["frame", "keyframe", "outside", "occluded", "rle", "left", "top", "width", "height", "z_order"]
    # frames 3 and 4: no closing copy that would reach the last frame (CVAT's own rule)
    assert [len(t.findall("mask")) for t in person] == [2, 2, 2, 1, 1]


def test_round_trip_restores_objects_masks_and_key_frames(dataset):
    data = zip_of(dataset, "cvat_video").fp.getvalue()
    result = import_annotations("cvat_video", data, "cvat.zip", dataset.media[0], dataset.labels)
    assert sorted(o.label_name for o in result.objects) == ["car", "person"]
    key_of = {o.label_name: o.key for o in result.objects}
    got = masks_by_object_frame(result)
    assert len(got) == 9
    for (obj, frame), bitmap in expected_masks().items():
        if obj in (1, 2):
            assert np.array_equal(got[(key_of["person" if obj == 1 else "car"], frame)], bitmap)
    assert sorted({m.frame_index for m in result.keyframes}) == [0, 3]


def test_track_per_object_layout_keeps_one_track_per_object(dataset):
    xml = zip_of(dataset, "cvat_video", cvat_track_per_object=True).read("walk/annotations.xml")
    root = ElementTree.fromstring(xml)
    person, car = root.findall("track")
    assert [m.get("frame") for m in person.findall("mask")] == ["0", "1", "2", "3", "4"]
    # the car is absent on frame 2: an outside shape there, then it comes back
    assert [(m.get("frame"), m.get("outside")) for m in car.findall("mask")] == [
        ("0", "0"),
        ("1", "0"),
        ("2", "1"),
        ("3", "0"),
        ("4", "0"),
    ]
    result = import_annotations("cvat_video", xml, "annotations.xml", dataset.media[0], dataset.labels)
    assert len(result.masks) == 9 and len(result.objects) == 2
    assert sorted({m.frame_index for m in result.keyframes}) == [0, 3]


def test_fixture_key_frames_import_as_key_frames():
    result = import_annotations("cvat_video", FIXTURE.read_bytes(), FIXTURE.name, STREET, LABELS)
    assert [(label.name, label.color) for label in result.labels_to_create] == [("dog", "#3d3df5")]
    by_label = {o.label_name: o for o in result.objects}
    assert sorted(by_label) == ["car", "dog", "person"]  # the two person masks share group 1
    frames = {(m.object_key, m.frame_index): m for m in result.masks}
    person = by_label["person"].key
    assert sorted(f for k, f in frames if k == person) == [0, 6]
    assert all(frames[(person, f)].keyframe for f in (0, 6))
    expected = np.zeros((H, W), bool)
    expected[6:14, 5:15] = True
    expected[9:11, 8:10] = False
    assert np.array_equal(decode_rle(frames[(person, 0)].rle), expected)
    dog = by_label["dog"].key
    # outside="1" on frame 4 ends the dog's track; frame 1 is an interpolated (non-key) shape
    assert [(f, frames[(dog, f)].keyframe) for f in (0, 1, 3)] == [(0, True), (1, False), (3, True)]
    assert not any(k == dog and f >= 4 for k, f in frames)
    assert frames[(dog, 0)].bbox == [20.0, 20.0, 10.0, 10.0]
    car = by_label["car"].key
    assert [(f, m.area) for (k, f), m in frames.items() if k == car] == [(2, 12 * 10)]
    assert result.warnings == ["1 <points> shapes were skipped (only mask, polygon and box become masks)"]


def test_the_cvat_loop_key_frames_in_every_frame_out():
    """CVAT key frames -> import -> (tracking: the lead's; faked here) -> CVAT with every frame."""
    imported = import_annotations("cvat_video", FIXTURE.read_bytes(), FIXTURE.name, STREET, LABELS)
    label_ids = {"person": 1, "car": 2, "dog": 3}
    labels = LABELS + [DatasetLabel(3, "dog", "#3d3df5")]
    objects, masks = [], []
    for number, obj in enumerate(imported.objects, start=1):
        objects.append(DatasetObject(number, STREET.id, label_ids[obj.label_name], track_id=number))
        keys = {m.frame_index: m for m in imported.keyframes if m.object_key == obj.key}
        first = min(keys)
        for frame in range(10):  # "tracking": hold the nearest earlier key frame's mask
            key = keys.get(max(f for f in keys if f <= frame)) if frame >= first else keys[first]
            source = "prompt" if frame in keys else "propagated"
            masks.append(DatasetMask(number, frame, key.rle, source=source))
    dataset = ExportDataset("loop", "video", labels, [STREET], objects, masks)
    xml = zip_of(dataset, "cvat_video").read("annotations.xml")  # one video: CVAT's own layout

    back = import_annotations("cvat_video", xml, "annotations.xml", STREET, labels)
    assert len(back.objects) == 3 and back.labels_to_create == []
    per_object = {}
    for m in back.masks:
        per_object.setdefault(m.object_key, set()).add(m.frame_index)
    assert all(frames == set(range(10)) for frames in per_object.values())
    original = {(m.object_key, m.frame_index): m.rle for m in imported.keyframes}
    key_back = {obj.key: obj.label_name for obj in back.objects}
    key_in = {obj.label_name: obj.key for obj in imported.objects}
    for m in back.keyframes:
        assert m.rle == original[(key_in[key_back[m.object_key]], m.frame_index)]


def datumaro_masks(datumaro, path) -> list[tuple[int, object]]:
    """(frame, mask) of every visible mask datumaro reads from a CVAT export folder."""
    imported = datumaro.Dataset.import_from(str(path), "cvat")
    return [
        (item.attributes["frame"], a)
        for item in imported
        for a in item.annotations
        if a.type.name == "mask" and not a.attributes.get("outside")
    ]


def test_datumaro_reads_the_export_with_the_same_counts(dataset, tmp_path):
    datumaro = pytest.importorskip("datumaro")
    zip_of(dataset, "cvat_video").extractall(tmp_path)
    try:
        masks = datumaro_masks(datumaro, tmp_path / "walk")
    except datumaro.components.errors.DatasetImportError as error:
        # datumaro <= 1.13 reads a <mask>'s frame size from an <image> element, which a <track>
        # (CVAT for video) never has: AttributeError on None. Nothing in our file can avoid it.
        assert isinstance(error.__cause__, AttributeError)
        # ... and so does a file in CVAT's own layout (the fixture): the bug is not in our file.
        (tmp_path / "cvat").mkdir()
        (tmp_path / "cvat" / "annotations.xml").write_bytes(FIXTURE.read_bytes())
        with pytest.raises(datumaro.components.errors.DatasetImportError) as cvat_error:
            datumaro_masks(datumaro, tmp_path / "cvat")
        assert isinstance(cvat_error.value.__cause__, AttributeError)
        pytest.xfail("datumaro cannot read <mask> inside <track> (CVAT for video) - datumaro bug")
    assert len(masks) == 9


def test_datumaro_reads_the_export_once_its_track_mask_bug_is_mended(dataset, tmp_path, monkeypatch):
    """The one thing datumaro lacks for CVAT for video masks is the frame size, which the file's
    <original_size> gives; with it supplied, datumaro reads every mask of ours pixel for pixel."""
    datumaro = pytest.importorskip("datumaro")
    from datumaro.plugins.data_formats.cvat.base import CvatBase

    parse = CvatBase._parse_shape_ann.__func__

    def with_frame_size(cls, ann, categories, image):
        return parse(cls, ann, categories, image or {"width": W, "height": H})

    monkeypatch.setattr(CvatBase, "_parse_shape_ann", classmethod(with_frame_size))
    zip_of(dataset, "cvat_video").extractall(tmp_path)
    masks = datumaro_masks(datumaro, tmp_path / "walk")
    assert len(masks) == 9 and {m.group for _, m in masks} == {1, 2}
    person = {frame: np.asarray(m.image, bool) for frame, m in masks if m.group == 1}
    assert sorted(person) == [0, 1, 2, 3, 4]
    assert all(np.array_equal(bitmap, ring(frame)) for frame, bitmap in person.items())


def coco_json() -> bytes:
    return json.dumps({"images": [], "annotations": [], "categories": []}).encode()


IMAGES_XML = b"""<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><mode>annotation</mode></task></meta>
<image id="0" name="a.jpg" width="48" height="40"><box label="car" xtl="1" ytl="1" xbr="3" ybr="3"/></image>
</annotations>"""


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (IMAGES_XML, r"Expected CVAT for video 1\.1 XML with <track> elements; this file is CVAT for images 1\.1"),
        (IMAGES_XML.replace(b"<mode>annotation</mode>", b""), "this file is CVAT for images 1.1"),
        (coco_json(), "Expected CVAT for video 1.1 XML with <track> elements; this file is JSON"),
        (b"<annotations><track id='0' label='car'>", "not well-formed XML"),
        (FIXTURE.read_bytes().replace(b'frame="6"', b'frame="12"'), "shape on frame 12, outside 'street.mp4'"),
        (FIXTURE.read_bytes().replace(b"<width>48</width>", b"<width>64</width>"), "is 64x40, but 'street.mp4'"),
    ],
)
def test_wrong_files_are_refused_with_what_was_expected(data, message):
    with pytest.raises(FormatError, match=message):
        import_annotations("cvat_video", data, "annotations.xml", STREET, LABELS)


def test_cvat_export_zip_with_images_is_accepted():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("annotations.xml", FIXTURE.read_bytes())
        archive.writestr("images/frame_000000.PNG", b"")
    result = import_annotations("cvat_video", buffer.getvalue(), "task.zip", STREET, LABELS)
    assert len(result.objects) == 3


def test_empty_masks_are_not_written():
    empty = encode_rle(np.zeros((H, W), bool))
    dataset = ExportDataset(
        "p", "video", LABELS, [STREET], [DatasetObject(1, STREET.id, 1)], [DatasetMask(1, 0, empty)]
    )
    root = ElementTree.fromstring(zip_of(dataset, "cvat_video").read("annotations.xml"))
    assert root.findall("track") == []
