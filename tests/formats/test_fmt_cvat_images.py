"""CVAT for images 1.1: the layout CVAT writes, round trips for videos and images, what datumaro
reads, and the files that are refused."""

import io
import json
from xml.etree import ElementTree

import numpy as np
import pytest
from formats_testdata import H, W, expected_masks, jpeg, masks_by_object_frame, ring, small_box, zip_of

from video_seg_backend.formats import (
    FORMATS,
    DatasetLabel,
    DatasetMask,
    DatasetMedia,
    DatasetObject,
    ExportDataset,
    ExportOptions,
    FormatError,
    import_annotations,
)
from video_seg_backend.formats.base import encode_rle

LABELS = [DatasetLabel(10, "person", "#ff0000"), DatasetLabel(11, "car", "#00ff00")]


def image_project() -> ExportDataset:
    """Three photos; the first has a person and a car, the second a person, the third nothing."""
    media = [
        DatasetMedia(1, "IMG 001.png", "image", W, H, read_frame=jpeg),
        DatasetMedia(2, "holiday/beach.jpeg", "image", W, H, read_frame=jpeg),
        DatasetMedia(3, "empty.jpg", "image", W, H, read_frame=jpeg),
    ]
    objects = [DatasetObject(1, 1, 10), DatasetObject(2, 1, 11), DatasetObject(3, 2, 10)]
    masks = [
        DatasetMask(1, 0, encode_rle(ring(0)), source="prompt"),
        DatasetMask(2, 0, encode_rle(small_box(2)), source="edited"),
        DatasetMask(3, 0, encode_rle(ring(4)), source="prompt"),
    ]
    return ExportDataset("Photos", "image", LABELS, media, objects, masks)


def test_video_export_lists_every_frame_with_its_masks(dataset):
    archive = zip_of(dataset, "cvat_images")
    assert sorted(archive.namelist()) == ["clip_two/annotations.xml", "walk/annotations.xml"]
    root = ElementTree.fromstring(archive.read("walk/annotations.xml"))
    assert root.findtext("version") == "1.1"
    assert root.findtext("meta/task/mode") == "annotation"
    assert (root.findtext("meta/task/original_size/width"), root.findtext("meta/task/original_size/height")) == (
        str(W),
        str(H),
    )
    images = root.findall("image")
    assert [(i.get("id"), i.get("name")) for i in images] == [(str(f), f"frame_{f:06d}.jpg") for f in range(5)]
    # the car is absent on frame 2; each object keeps its group on every frame
    assert [[(m.get("label"), m.get("group_id")) for m in i.findall("mask")] for i in images] == [
        [("person", "1"), ("car", "2")],
        [("person", "1"), ("car", "2")],
        [("person", "1")],
        [("person", "1"), ("car", "2")],
        [("person", "1"), ("car", "2")],
    ]
    first = images[0].find("mask")
    assert list(first.attrib) == [
        "label", "source", "occluded", "rle", "left", "top", "width", "height", "z_order", "group_id"
    ]  # fmt: skip
    assert [i.find("mask").get("source") for i in images] == ["semi-auto", "auto", "auto", "manual", "auto"]


def test_video_round_trip_restores_objects_masks_and_key_frames(dataset):
    data = zip_of(dataset, "cvat_images").fp.getvalue()
    walk, clip = dataset.media
    result = import_annotations("cvat_images", data, "cvat.zip", walk, dataset.labels)
    assert sorted(o.label_name for o in result.objects) == ["car", "person"]
    key_of = {o.label_name: o.key for o in result.objects}
    got = masks_by_object_frame(result)
    assert len(got) == 9
    for (obj, frame), bitmap in expected_masks().items():
        if obj in (1, 2):
            assert np.array_equal(got[(key_of["person" if obj == 1 else "car"], frame)], bitmap)
    assert sorted({m.frame_index for m in result.keyframes}) == [0, 3]
    # the ZIP holds both videos: the second one's folder is found by its name
    other = import_annotations("cvat_images", data, "cvat.zip", clip, dataset.labels)
    assert [(m.frame_index, m.area) for m in other.masks] == [(f, int(small_box(f).sum())) for f in range(3)]


def test_image_project_round_trip_matches_images_by_name():
    project = image_project()
    archive = zip_of(project, "cvat_images", include_frames=True)
    assert sorted(archive.namelist()) == [
        "annotations.xml",
        "images/IMG 001.jpg",
        "images/beach.jpg",
        "images/empty.jpg",
    ]
    root = ElementTree.fromstring(archive.read("annotations.xml"))
    assert root.findtext("meta/task/size") == "3"
    assert [(i.get("id"), i.get("name"), len(i.findall("mask"))) for i in root.findall("image")] == [
        ("0", "IMG 001.jpg", 2),
        ("1", "beach.jpg", 1),
        ("2", "empty.jpg", 0),
    ]
    data = archive.read("annotations.xml")
    first = import_annotations("cvat_images", data, "annotations.xml", project.media[0], LABELS)
    assert sorted((o.label_name, len([m for m in first.masks if m.object_key == o.key])) for o in first.objects) == [
        ("car", 1),
        ("person", 1),
    ]
    person = next(m for m in first.masks if m.object_key == "group-1-person")
    assert np.array_equal(masks_by_object_frame(first)[("group-1-person", 0)], ring(0)) and person.keyframe
    second = import_annotations("cvat_images", data, "annotations.xml", project.media[1], LABELS)
    assert [decode.sum() for decode in masks_by_object_frame(second).values()] == [ring(4).sum()]
    assert import_annotations("cvat_images", data, "annotations.xml", project.media[2], LABELS).masks == []


def test_datumaro_reads_the_exports_with_the_same_counts(dataset, tmp_path):
    datumaro = pytest.importorskip("datumaro")
    zip_of(dataset, "cvat_images", include_frames=True).extractall(tmp_path / "video")
    walk = datumaro.Dataset.import_from(str(tmp_path / "video" / "walk"), "cvat")
    assert len(walk) == 5
    masks = [a for item in walk for a in item.annotations if a.type.name == "mask"]
    assert len(masks) == 9
    frame0 = next(item for item in walk if item.attributes["frame"] == 0)
    names = walk.categories()[datumaro.AnnotationType.label]
    person = next(a for a in frame0.annotations if names[a.label].name == "person")
    assert np.array_equal(person.image.astype(bool), ring(0)) and person.group == 1
    zip_of(image_project(), "cvat_images", include_frames=True).extractall(tmp_path / "images")
    photos = datumaro.Dataset.import_from(str(tmp_path / "images"), "cvat")
    assert sorted((item.id, len(item.annotations)) for item in photos) == [("IMG 001", 2), ("beach", 1), ("empty", 0)]


# A CVAT for images file as CVAT writes one for a video task: frame names without extension,
# boxes and polygons, ungrouped shapes, a skipped polyline.
CVAT_WRITTEN = f"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><id>7</id><name>street</name><size>10</size><mode>annotation</mode>
    <labels><label><name>dog</name><color>#3d3df5</color><type>any</type><attributes/></label></labels>
    <original_size><width>{W}</width><height>{H}</height></original_size></task></meta>
  <image id="0" name="frame_000000" width="{W}" height="{H}">
    <box label="dog" source="manual" occluded="0" xtl="20.00" ytl="20.00" xbr="30.00" ybr="30.00" z_order="0">
    </box>
    <polygon label="person" source="manual" occluded="0" z_order="0"
      points="2.00,2.00;10.00,2.00;10.00,10.00;2.00,10.00">
    </polygon>
  </image>
  <image id="4" name="frame_000004" width="{W}" height="{H}">
    <box label="dog" source="auto" occluded="0" xtl="22.00" ytl="20.00" xbr="32.00" ybr="30.00" z_order="0">
    </box>
    <polyline label="dog" source="manual" occluded="0" points="1.00,1.00;5.00,5.00" z_order="0">
    </polyline>
  </image>
</annotations>
""".encode()


def test_a_file_cvat_wrote_imports_shape_by_shape():
    street = DatasetMedia(200, "street.mp4", "video", W, H, num_frames=10)
    result = import_annotations("cvat_images", CVAT_WRITTEN, "annotations.xml", street, LABELS)
    assert [(label.name, label.color) for label in result.labels_to_create] == [("dog", "#3d3df5")]
    # ungrouped shapes are objects of their own: CVAT for images has no identity across frames
    assert sorted(o.label_name for o in result.objects) == ["dog", "dog", "person"]
    assert [(m.frame_index, m.bbox, m.keyframe) for m in result.masks if m.area == 100] == [
        (0, [20.0, 20.0, 10.0, 10.0], True),
        (4, [22.0, 20.0, 10.0, 10.0], False),
    ]
    assert result.warnings == ["1 <polyline> shapes were skipped (only mask, polygon and box become masks)"]


STREET = DatasetMedia(200, "street.mp4", "video", W, H, num_frames=10)


@pytest.mark.parametrize(
    ("data", "media", "message"),
    [
        (
            b"<annotations><version>1.1</version><track id='0' label='car'/></annotations>",
            STREET,
            r"Expected CVAT for images 1\.1 XML with <image> elements; this file is CVAT for video 1\.1 .*cvat_video",
        ),
        (json.dumps({"images": []}).encode(), STREET, "this file is JSON"),
        (b"<annotations><image id='0'>", STREET, "not well-formed XML"),
        (CVAT_WRITTEN.replace(b'id="4"', b'id="12"'), STREET, "frame 12, outside 'street.mp4'"),
        (CVAT_WRITTEN.replace(f'width="{W}"'.encode(), b'width="64"'), STREET, "is 64x40, but 'street.mp4'"),
        (CVAT_WRITTEN, image_project().media[1], r"None of the 2 images .* named like 'holiday/beach.jpeg'"),
        (CVAT_WRITTEN.replace(b"<version>1.1</version>", b"<version>2.0</version>"), STREET, "version 2.0"),
    ],
)
def test_wrong_files_are_refused_with_what_was_expected(data, media, message):
    with pytest.raises(FormatError, match=message):
        import_annotations("cvat_images", data, "annotations.xml", media, LABELS)


def test_the_video_importer_points_to_this_format():
    with pytest.raises(FormatError, match="this file is CVAT for images 1.1 .*import it with format cvat_images"):
        import_annotations("cvat_video", CVAT_WRITTEN, "annotations.xml", STREET, LABELS)


def test_export_streams_in_pieces():
    frames = 300
    media = [DatasetMedia(5, "long.mp4", "video", W, H, num_frames=frames)]
    masks = [DatasetMask(1, f, encode_rle(ring(f % 20))) for f in range(frames)]
    dataset = ExportDataset("long", "video", LABELS, media, [DatasetObject(1, 5, 10)], masks)
    ((name, chunks),) = list(FORMATS["cvat_images"].exporter(dataset, ExportOptions()))
    pieces = list(chunks)
    assert name == "annotations.xml" and len(pieces) >= frames // 64
    assert len(ElementTree.parse(io.BytesIO(b"".join(pieces))).getroot().findall("image/mask")) == frames
