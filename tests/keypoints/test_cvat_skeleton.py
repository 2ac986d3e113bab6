"""CVAT 1.1 skeletons (for video: tracks; for images: per image) through the real server: the layout
CVAT writes, round trips with key and tracked frames, names checked, and what datumaro reads."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from tests.keypoints.conftest import API, Video, make_video

TOOL = {"keypoints": ["tip", "joint", "end"], "edges": [["tip", "joint"], ["joint", "end"]]}


def tool_with_points(client: TestClient, video: Video) -> int:
    oid = video.obj(video.label("tool", TOOL))
    url = f"{video.base}/objects/{oid}/keypoints"
    frames = [
        {"frame_index": 1, "points": [{"x": 10, "y": 20}, {"x": 30.5, "y": 40, "visibility": 1}, {"visibility": 0}]},
        {"frame_index": 2, "points": [{"x": 12, "y": 21}, {"x": 31, "y": 41}, {"x": 50, "y": 60}], "source": "tracked"},
    ]
    assert client.put(url, json={"frames": frames}).status_code == 200
    return oid


def export_xml(client: TestClient, pid: int, fmt: str, frames: bool = False) -> tuple[bytes, ElementTree.Element]:
    r = client.get(f"{API}/projects/{pid}/export", params={"format": fmt, "include_frames": frames})
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as archive:
        return r.content, ElementTree.fromstring(archive.read("annotations.xml"))


def test_cvat_for_video_writes_a_skeleton_track_as_cvat_does(client: TestClient, video: Video) -> None:
    tool_with_points(client, video)
    _, root = export_xml(client, video.pid, "cvat_video_skeleton")
    labels = root.findall("./meta/task/labels/label")
    assert [(lb.findtext("name"), lb.findtext("type"), lb.findtext("parent")) for lb in labels] == [
        ("tool", "skeleton", None), ("tip", "points", "tool"), ("joint", "points", "tool"), ("end", "points", "tool")
    ]  # fmt: skip
    svg = ElementTree.fromstring(f"<svg>{labels[0].findtext('svg')}</svg>")
    assert [(line.get("data-node-from"), line.get("data-node-to")) for line in svg.iter("line")] == [
        ("1", "2"),
        ("2", "3"),
    ]
    (track,) = root.findall("track")
    assert track.get("label") == "tool"
    first, second = track.findall("skeleton")
    assert (first.get("frame"), first.get("keyframe"), second.get("keyframe")) == ("1", "1", "0")
    tip, joint, end = first.findall("points")
    assert (tip.get("label"), tip.get("points"), tip.get("occluded"), tip.get("outside")) == (
        "tip",
        "10.00,20.00",
        "0",
        "0",
    )
    assert (joint.get("occluded"), end.get("outside")) == ("1", "1")


@pytest.mark.parametrize("fmt", ["cvat_video_skeleton", "cvat_images_skeleton"])
def test_skeletons_import_back_with_key_and_tracked_frames(
    client: TestClient, video: Video, tmp_path: Path, fmt: str
) -> None:
    oid = tool_with_points(client, video)
    data, _ = export_xml(client, video.pid, fmt)
    (tmp_path / "second").mkdir()
    other = make_video(client, tmp_path / "second")
    r = client.post(f"{other.base}/import", params={"format": fmt}, files={"file": ("a.zip", data, "application/zip")})
    assert r.status_code == 201, r.text
    assert r.json()["keypoint_frames"] == 2
    (obj,) = client.get(f"{other.base}/objects").json()
    got = client.get(f"{other.base}/objects/{obj['id']}/keypoints").json()
    want = client.get(f"{video.base}/objects/{oid}/keypoints").json()
    assert got["names"] == TOOL["keypoints"] and got["edges"] == TOOL["edges"]
    assert got["frames"] == want["frames"]


def test_a_skeleton_with_other_point_names_is_refused(client: TestClient, video: Video) -> None:
    tool_with_points(client, video)
    data, root = export_xml(client, video.pid, "cvat_video_skeleton")
    xml = ElementTree.tostring(root).replace(b"<name>end</name>", b"<name>base</name>")
    r = client.post(
        f"{video.base}/import", params={"format": "cvat_video_skeleton"}, files={"file": ("a.xml", xml, "text/xml")}
    )
    assert r.status_code == 422
    assert r.json()["detail"] == (
        "Keypoints of 'tool' do not match the label's (tip, joint, end): the file lacks end; the file adds base"
    )


def test_what_datumaro_reads_of_the_skeleton_exports(client: TestClient, video: Video, tmp_path: Path) -> None:
    datumaro = pytest.importorskip("datumaro")
    tool_with_points(client, video)
    for fmt in ("cvat_images_skeleton", "cvat_video_skeleton"):
        data, _ = export_xml(client, video.pid, fmt, frames=True)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(tmp_path / fmt)
    images = datumaro.Dataset.import_from(str(tmp_path / "cvat_images_skeleton"), "cvat")
    # CVAT for images: every element a Points annotation of its own, labelled by the point's name;
    # the skeleton that groups them, its edges and the occluded flag are not read.
    names = images.categories()[datumaro.AnnotationType.label]
    frame1 = next(item for item in images if item.id == "frame_000001")
    assert [(names[a.label].name, a.points) for a in frame1.annotations] == [
        ("tip", [10.0, 20.0]), ("joint", [30.5, 40.0]), ("end", [0.0, 0.0])
    ]  # fmt: skip
    assert {a.type for a in frame1.annotations} == {datumaro.AnnotationType.points}
    # CVAT for video: a skeleton track's elements carry no frame (as CVAT writes them): datumaro fails.
    with pytest.raises(datumaro.components.errors.DatasetImportError):
        datumaro.Dataset.import_from(str(tmp_path / "cvat_video_skeleton"), "cvat")
