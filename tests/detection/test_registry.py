"""Plug-in detectors: a package installed with an entry point in the studio's group is found by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from video_seg_backend.detection import ENTRY_POINT_GROUP, Detection, available_detectors, load_detector

PLUGIN = '''
from video_seg_backend.detection import Detection


class CornerDetector:
    """Reports one box in the top-left quarter of the frame, labelled as configured."""

    def __init__(self, label="widget"):
        self.label = label

    def detect(self, rgb):
        h, w = rgb.shape[:2]
        return [Detection((0.0, 0.0, w / 2, h / 2), 0.75, self.label)]


def not_a_detector():
    return object()
'''


@pytest.fixture
def installed_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed distribution as pip leaves it: a module and a .dist-info with entry_points.txt."""
    (tmp_path / "corner_detectors.py").write_text(PLUGIN)
    info = tmp_path / "corner_detectors-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: corner-detectors\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\n"
        "corner = corner_detectors:CornerDetector\n"
        "broken = corner_detectors:not_a_detector\n"
        "hog-person = corner_detectors:CornerDetector\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))


def test_builtin_person_detector_is_listed_without_plugins() -> None:
    assert available_detectors()[0] == "hog-person"


@pytest.mark.usefixtures("installed_plugin")
def test_installed_plugin_is_listed_and_built_with_options() -> None:
    assert available_detectors()[:1] == ["hog-person"]
    assert {"corner", "broken"} <= set(available_detectors())
    detector = load_detector("corner", label="cup")
    assert detector.detect(np.zeros((100, 200, 3), dtype=np.uint8)) == [Detection((0.0, 0.0, 100.0, 50.0), 0.75, "cup")]


@pytest.mark.usefixtures("installed_plugin")
def test_plugin_cannot_replace_the_builtin_person_detector() -> None:
    assert type(load_detector("hog-person")).__name__ == "HogPersonDetector"
    assert available_detectors().count("hog-person") == 1


@pytest.mark.usefixtures("installed_plugin")
def test_plugin_that_builds_no_detector_is_refused() -> None:
    with pytest.raises(TypeError, match="broken"):
        load_detector("broken")


def test_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(ValueError, match="hog-person"):
        load_detector("no-such-detector")
