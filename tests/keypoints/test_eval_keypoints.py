"""The keypoint measure: truth points from a mask, PCK scoring, and the script on real DAVIS frames."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from tests.conftest import REPO, VOS, need_shared
from video_seg_backend.keypoints.evaluate import PckCounts, score_frame, truth_points
from video_seg_backend.keypoints.tracker import KeyPoints


def test_truth_points_are_the_masks_extremes_and_its_core() -> None:
    mask = np.zeros((50, 80), dtype=bool)
    mask[10:31, 20:61] = True  # a box: extremes mid-edge, core at its centre
    truth = truth_points(mask)
    assert truth.xy.tolist() == [[40, 10], [40, 30], [20, 20], [60, 20], [40, 20]]
    assert truth.vis.tolist() == [2] * 5
    assert truth_points(np.zeros((5, 5), bool)).vis.tolist() == [0] * 5


def test_pck_counts_a_dropped_point_as_a_miss_and_a_far_one_as_wrong() -> None:
    truth = KeyPoints(np.array([[10, 10], [20, 20], [30, 30]], np.float32), np.array([2, 2, 2], np.int8))
    pred = KeyPoints(np.array([[11, 10], [29, 20], [30, 30]], np.float32), np.array([2, 2, 0], np.int8))
    counts = score_frame(pred, truth, size=40)  # 5% of 40: 2 px
    assert (counts.correct, counts.kept, counts.total) == (1, 2, 3)
    total = PckCounts()
    total.add(counts)
    assert total.pck == 1 / 3 and total.precision == 1 / 2


def run_script(out: Path) -> str:
    seqs = need_shared(VOS / "blackswan")
    cmd = [sys.executable, str(REPO / "scripts" / "eval_keypoints.py"), "--root", str(seqs.parent),
           "--sequences", "blackswan", "--frames", "21", "--no-cv", "--json", str(out)]  # fmt: skip
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout


def test_the_script_measures_real_frames_the_same_way_twice(tmp_path: Path) -> None:
    first = run_script(tmp_path / "a.json")
    assert run_script(tmp_path / "b.json") == first
    report = json.loads((tmp_path / "a.json").read_text())
    track = report["rows"]["tracker, defaults"]
    interp = report["rows"]["interpolation only (no images)"]
    # 20 frames after the key frame, 5 points each; with keys at 0, 10, 20 18 frames are scored.
    assert track["one key frame"]["total"] == 100 and track["key every 10"]["total"] == 90
    # Tracking through the images beats holding the key frame's points.
    assert track["one key frame"]["pck"] > interp["one key frame"]["pck"]
