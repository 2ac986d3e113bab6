"""The evaluation scripts end to end on sample data: MP4 + GT creation, video and image scoring."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.script_loader import load_script
from video_seg_backend.evaluation.io import encode_rle, load_davis_sequence, write_label_png

REPO = Path(__file__).resolve().parents[2]
VOS = REPO.parent / "shared" / "data" / "vos"


def need(sequence: str) -> Path:
    path = VOS / sequence
    if not (path / "JPEGImages").is_dir():
        pytest.skip(f"sample sequence {path} is missing (expected ../shared/data/vos beside the repository)")
    return path


@pytest.fixture(scope="module")
def subset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """blackswan (first 8 frames, 0/255 masks) and tennis-2f (palette + void) as MP4 + GT."""
    need("blackswan")
    need("tennis-2f")
    out = tmp_path_factory.mktemp("subset")
    create = load_script("create_davis_subset")
    argv = [str(VOS), "--out", str(out), "--sequences", "blackswan,tennis-2f", "--max-frames", "8"]
    assert create.main([*argv, "--gt-videos", "--verify"]) == 0
    return out


def decoded_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]


def test_subset_writes_decodable_h264_and_ground_truth(subset: Path) -> None:
    frames = decoded_frames(subset / "videos" / "blackswan.mp4")
    assert len(frames) == 8 and frames[0].shape == (480, 854, 3)
    assert len(decoded_frames(subset / "videos" / "tennis-2f.mp4")) == 2
    assert len(decoded_frames(subset / "gt_videos" / "blackswan.mp4")) == 8
    gt = load_davis_sequence(subset / "gt" / "blackswan")
    assert gt.frame_names == [f"{i:05d}" for i in range(8)] and gt.object_ids() == [1]
    source = load_davis_sequence(VOS / "blackswan")
    assert np.array_equal(gt.labels, source.labels[:8])
    tennis = load_davis_sequence(subset / "gt" / "tennis-2f")
    assert tennis.object_ids() == [1, 2] and tennis.void.any()
    manifest = json.loads((subset / "manifest.json").read_text())
    assert {s["sequence"]: s["frames"] for s in manifest["sequences"]} == {"blackswan": 8, "tennis-2f": 2}
    # The video shows the frames: the encoded first frame is close to the source JPEG.
    jpeg = cv2.cvtColor(cv2.imread(str(VOS / "blackswan" / "JPEGImages" / "00000.jpg")), cv2.COLOR_BGR2RGB)
    assert np.abs(frames[0].astype(int) - jpeg.astype(int)).mean() < 6


def test_subset_videos_are_the_same_every_run(tmp_path: Path) -> None:
    """The robot annotator's figures are measured on these videos: a lossy x264 encode here wrote
    different pixels each run (hockey: every frame, up to 20 grey levels), so they did not repeat."""
    need("hockey")
    create = load_script("create_davis_subset")
    for out in ("a", "b"):
        assert create.main([str(VOS), "--out", str(tmp_path / out), "--sequences", "hockey", "--max-frames", "12"]) == 0
    first, second = ((tmp_path / out / "videos" / "hockey.mp4").read_bytes() for out in ("a", "b"))
    assert first == second
    # Lossless: the frames are the JPEGs' pixels, but for yuv420p's shared colour of 2x2 pixels.
    jpeg = cv2.cvtColor(cv2.imread(str(VOS / "hockey" / "JPEGImages" / "00000.jpg")), cv2.COLOR_BGR2RGB)
    frame = decoded_frames(tmp_path / "a" / "videos" / "hockey.mp4")[0]
    assert np.abs(frame.astype(int) - jpeg.astype(int)).mean() < 3


def run_video_evaluation(tmp_path: Path, *args: str) -> dict:
    evaluation = load_script("video_evaluation")
    out = tmp_path / "scores.json"
    assert evaluation.main([*args, "--json", str(out)]) == 0
    return json.loads(out.read_text())


def test_ground_truth_against_itself_scores_one(subset: Path, tmp_path: Path) -> None:
    result = run_video_evaluation(tmp_path, "--gt", str(subset / "gt"), "--pred", str(subset / "gt"))
    assert result["overall"]["objects"] == 3
    assert result["overall"]["jf_mean"] == 1.0
    for obj in result["objects"]:
        assert obj["j_mean"] == obj["f_mean"] == obj["j_recall"] == 1.0 and obj["j_decay"] == 0.0


def test_perturbed_copy_scores_below_one(subset: Path, tmp_path: Path) -> None:
    pred_root = tmp_path / "pred"
    for name in ("blackswan", "tennis-2f"):
        gt = load_davis_sequence(subset / "gt" / name)
        (pred_root / name).mkdir(parents=True)
        for index, labels in enumerate(gt.labels):
            perturbed = np.zeros_like(labels)
            for obj in gt.object_ids():
                eroded = cv2.erode((labels == obj).astype(np.uint8), np.ones((9, 9), np.uint8))
                perturbed[eroded > 0] = obj
            write_label_png(perturbed, pred_root / name / f"{index:05d}.png")
    result = run_video_evaluation(tmp_path, "--gt", str(subset / "gt"), "--pred", str(pred_root))
    overall = result["overall"]
    assert 0.3 < overall["j_mean"] < 1.0 and 0.0 < overall["f_mean"] < 1.0
    # DAVIS skips the first and last frame: blackswan's 8 frames give 6 scored ones.
    evaluation = load_script("video_evaluation")
    assert evaluation.scored_frames(8) == [1, 2, 3, 4, 5, 6]


def test_ytvis_tracks_are_matched_by_iou(subset: Path, tmp_path: Path) -> None:
    gt = load_davis_sequence(subset / "gt" / "tennis-2f")
    annotations = []
    for track_id, obj in ((71, 2), (70, 1)):  # studio ids, in the other order
        annotations.append(
            {
                "id": track_id,
                "video_id": 1,
                "category_id": 1,
                "segmentations": [encode_rle(frame == obj) for frame in gt.labels],
            }
        )
    data = {
        "videos": [{"id": 1, "name": "tennis-2f", "height": 480, "width": 854, "length": 2}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person"}],
    }
    (tmp_path / "ytvis.json").write_text(json.dumps(data))
    result = run_video_evaluation(tmp_path, "--gt", str(subset / "gt"), "--ytvis", str(tmp_path / "ytvis.json"))
    assert result["overall"]["jf_mean"] == 1.0
    assert {o["object_id"]: o["track_id"] for o in result["objects"]} == {1: 70, 2: 71}


def test_image_evaluation_png_folders_and_coco(subset: Path, tmp_path: Path) -> None:
    images = load_script("image_evaluation")
    gt_dir = subset / "gt" / "tennis-2f"
    pred_dir = tmp_path / "pred_png"
    shutil.copytree(gt_dir, pred_dir)
    out = tmp_path / "img.json"
    assert images.main(["--gt-dir", str(gt_dir), "--pred-dir", str(pred_dir), "--json", str(out)]) == 0
    rows = {r["class"]: r for r in json.loads(out.read_text())["classes"]}
    assert rows["1"]["IoU"] == rows["2"]["Dice"] == 1.0

    # COCO: two 10x10 images, one class; the prediction misses half of the second square.
    def coco(masks: list[np.ndarray]) -> dict:
        return {
            "images": [{"id": i + 1, "file_name": f"im{i}.jpg", "height": 10, "width": 10} for i in range(2)],
            "annotations": [
                {"id": i + 1, "image_id": i + 1, "category_id": 5, "segmentation": encode_rle(m)}
                for i, m in enumerate(masks)
            ],
            "categories": [{"id": 5, "name": "cup"}],
        }

    full = np.zeros((10, 10), bool)
    full[2:6, 2:6] = True
    half = np.zeros((10, 10), bool)
    half[2:6, 2:4] = True
    (tmp_path / "gt.json").write_text(json.dumps(coco([full, full])))
    (tmp_path / "pred.json").write_text(json.dumps(coco([full, half])))
    assert (
        images.main(["--gt", str(tmp_path / "gt.json"), "--pred", str(tmp_path / "pred.json"), "--json", str(out)]) == 0
    )
    cup = {r["class"]: r for r in json.loads(out.read_text())["classes"]}["cup"]
    assert cup["IoU"] == pytest.approx((1.0 + 0.5) / 2)
    assert cup["Dice"] == pytest.approx((1.0 + 2 * 8 / (16 + 8)) / 2)
    assert cup["dataset IoU"] == pytest.approx((16 + 8) / (16 + 16))
