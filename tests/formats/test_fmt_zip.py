import io
import zipfile

import pytest
from formats_testdata import make_dataset

from video_seg_backend.formats import (
    FORMATS,
    ExportOptions,
    FormatError,
    export_filename,
    export_zip_stream,
    import_annotations,
    stream_zip,
)


def test_every_format_is_registered_with_export_and_import():
    assert sorted(FORMATS) == [
        "ava",
        "coco",
        "coco_keypoints",
        "cvat_images",
        "cvat_images_skeleton",
        "cvat_video",
        "cvat_video_skeleton",
        "davis",
        "ytvis",
    ]
    assert all(spec.importer is not None for spec in FORMATS.values())


@pytest.mark.parametrize("name", ["coco", "ytvis", "davis", "cvat_video", "cvat_images"])
def test_streamed_zip_is_a_valid_archive_in_several_chunks(name):
    dataset = make_dataset(masks_as_function=True)
    chunks = list(stream_zip(FORMATS[name].exporter(dataset, ExportOptions(include_frames=True)), chunk_size=2048))
    assert len(chunks) > 1
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert any(n.endswith("00004.jpg") for n in archive.namelist())


def test_generator_content_is_consumed_lazily():
    pulled = []

    def pieces():
        for i in range(3):
            pulled.append(i)
            yield b"x" * 10

    stream = stream_zip([("a.json", pieces())], chunk_size=1)
    next(stream)
    assert pulled == [0]  # the first chunk leaves before the rest of the file is produced


def test_unknown_formats_name_the_known_ones():
    with pytest.raises(
        FormatError,
        match="Unknown format 'voc'; expected one of ava, coco, coco_keypoints, cvat_images, cvat_images_skeleton, "
        "cvat_video, cvat_video_skeleton, davis, ytvis",
    ):
        list(export_zip_stream(make_dataset(), "voc"))
    with pytest.raises(FormatError, match="Unknown format"):
        import_annotations("voc", b"", "x", make_dataset().media[0], [])


def test_export_filename_is_safe():
    assert export_filename("My project / v2", "coco") == "My_project_v2_coco.zip"
