"""scripts/eval_review_queue.py: the queue's figures from any engine the studio can track with."""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.script_loader import load_script


def eval_script():  # noqa: ANN201 - a module
    return load_script("eval_review_queue")


def davis_folder(root: Path, sequences: int = 3, frames: int = 8) -> Path:
    """DAVIS layout: a square moving over a textured background; from frame 5 on it jumps away and
    a square of its colour stands where it was, so tracking goes wrong there (bad frames to find)."""
    rng = np.random.default_rng(0)
    for s in range(sequences):
        folder = root / f"seq{s}"
        (folder / "JPEGImages").mkdir(parents=True)
        (folder / "Annotations").mkdir()
        background = (rng.random((15, 20, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1)
        patch = np.full((40, 40, 3), (40, 200, 230), np.uint8)
        for t in range(frames):
            x, y = (20 + 4 * t, 40) if t < 5 else (110, 70 - 5 * s)
            image = background.copy()
            if t >= 5:
                image[40:80, 36:76] = patch  # the look-alike, where the square was on frame 4
            image[y : y + 40, x : x + 40] = patch
            mask = np.zeros((120, 160), np.uint8)
            mask[y : y + 40, x : x + 40] = 255
            cv2.imwrite(str(folder / "JPEGImages" / f"{t:05d}.jpg"), image, [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(str(folder / "Annotations" / f"{t:05d}.png"), mask)
    return root


def test_the_opencv_engine_s_figures_and_a_cache_of_another_model_refused(tmp_path, capsys):
    script = eval_script()
    data = davis_folder(tmp_path / "vos")
    cache = tmp_path / "cues.json"
    script.main(["--data", str(data), "--cache", str(cache), "--clicks", "2"])
    out = capsys.readouterr().out
    assert "3 sequences, 21 tracked frames" in out
    assert "the studio's (engine alone)" in out
    # Frames 5-7 of each sequence, where the engine stays on the look-alike: bad frames to rank.
    bad = int(re.search(r"of the (\d+) bad frames", out).group(1))  # type: ignore[union-attr]
    assert 1 <= bad <= 9
    kept = json.loads(cache.read_text())
    assert kept["__model__"] == "opencv" and sorted(k for k in kept if k != "__model__") == ["seq0", "seq1", "seq2"]
    # Re-scored from the cache: the same figures, no tracking.
    script.main(["--data", str(data), "--cache", str(cache), "--clicks", "2"])
    again = capsys.readouterr().out
    assert "tracked frames, " not in again.split("3 sequences")[0]
    assert again[again.index("3 sequences") :] == out[out.index("3 sequences") :]
    with pytest.raises(SystemExit):
        script.main(["--data", str(data), "--cache", str(cache), "--model", "edgetam"])
    assert "holds the cues of model opencv, not edgetam" in capsys.readouterr().err


def test_sam2_masks_are_scored_with_the_studio_s_combination(tmp_path, capsys, monkeypatch):
    pytest.importorskip("sam2")
    # The random-weight tiny model at 256 (its figures mean nothing; the path is what is tested).
    for key, value in {
        "VSS_ALLOW_RANDOM_WEIGHTS": "true",
        "VSS_SAM2_IMAGE_SIZE": "256",
        "VSS_DEVICE": "cpu",
        "VSS_OFFLINE": "true",
        "VSS_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }.items():
        monkeypatch.setenv(key, value)
    script = eval_script()
    data = davis_folder(tmp_path / "vos", sequences=2, frames=5)
    cache = tmp_path / "cues.json"
    script.main(["--data", str(data), "--cache", str(cache), "--clicks", "1", "--model", "sam2.1_hiera_tiny_random"])
    out = capsys.readouterr().out
    assert "2 sequences, 8 tracked frames" in out
    assert "the studio's (combination)" in out
    cues = json.loads(cache.read_text())
    assert cues["__model__"] == "sam2.1_hiera_tiny_random"
    engine_values = [c["engine"] for c, _ in cues["seq0"]]
    assert len(engine_values) == 4 and all(v is not None and 0.0 <= v <= 1.0 for v in engine_values)


def test_by_depth_counts_the_plainly_wrong_and_the_near_misses_the_top_holds():
    from video_seg_backend.review.cues import FrameCues

    script = eval_script()

    def frame(confidence: float, j: float) -> tuple[FrameCues, float]:
        unchanged = {"area_ratio": 1.0, "shape_iou": 1.0, "key_area_ratio": 1.0}
        return FrameCues(engine=confidence, key_distance=1, empty=False, **unchanged), j

    # 20 frames, so the pooled top 10% is the 2 least confident: a plainly wrong mask (J 0.05) and
    # a near miss (J 0.45); a second near miss (J 0.35) and a J 0.2 sit behind good frames.
    first = [frame(0.05, 0.05), frame(0.1, 0.45), frame(0.9, 0.35)] + [frame(0.5 + i / 100, 0.9) for i in range(7)]
    second = [frame(0.8, 0.2)] + [frame(0.6 + i / 100, 0.8) for i in range(9)]
    weights = script.ENGINE_ALONE
    assert script.by_depth([first, second], weights) == [(0.0, 0.1, 1, 1), (0.1, 0.3, 1, 0), (0.3, 0.5, 2, 1)]
