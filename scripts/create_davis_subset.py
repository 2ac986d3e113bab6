#!/usr/bin/env python
"""Turn DAVIS-layout sequences into H.264 MP4s to upload to the studio, plus their ground truth.

Input: a folder in DAVIS layout, either ``<root>/<seq>/{JPEGImages,Annotations}`` (the shared
sample data) or the official ``<root>/{JPEGImages,Annotations}/480p/<seq>``.

Output, under ``--out``:

    videos/<seq>.mp4         H.264 (libx264, yuv420p), one video frame per DAVIS frame; lossless
                             by default, so every run writes the same frames (see --crf)
    gt/<seq>/00000.png ...   ground truth renumbered from 0 as the studio numbers video frames:
                             indexed DAVIS-palette PNGs, 0 background, 1..N objects, 255 void
                             (0/255 binary masks become object 1)
    gt_videos/<seq>.mp4      with --gt-videos: the frames with the ground truth burned in
    manifest.json            sequences, frame counts, sizes, fps

yuv420p needs even width and height: an odd last column or row is cropped from the frames and
the ground truth alike, so masks and video stay pixel-aligned.

    python scripts/create_davis_subset.py ../shared/data/vos --out /tmp/davis-subset --gt-videos
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from video_seg_backend.evaluation.io import (  # noqa: E402
    VOID_LABEL,
    davis_palette,
    read_label_png,
    write_label_png,
)
from video_seg_backend.evaluation.report import format_table, write_json  # noqa: E402

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass
class SourceSequence:
    name: str
    images: list[Path]
    masks: dict[str, Path]  # frame stem -> mask PNG


def find_sequences(root: Path) -> list[SourceSequence]:
    """Sequences with frames under ``root`` in either DAVIS layout (or ``root`` being one)."""
    candidates: list[tuple[str, Path, Path]] = []
    for layout in ("480p", "Full-Resolution", ""):
        images_root = root / "JPEGImages" / layout
        masks_root = root / "Annotations" / layout
        if images_root.is_dir() and not any(images_root.glob("*.jpg")):
            for seq_dir in sorted(p for p in images_root.iterdir() if p.is_dir()):
                candidates.append((seq_dir.name, seq_dir, masks_root / seq_dir.name))
            if candidates:
                break
    if not candidates:
        seq_dirs = [root] if (root / "JPEGImages").is_dir() else sorted(p for p in root.iterdir() if p.is_dir())
        for seq_dir in seq_dirs:
            if (seq_dir / "JPEGImages").is_dir():
                candidates.append((seq_dir.name, seq_dir / "JPEGImages", seq_dir / "Annotations"))
    sequences = []
    for name, images_dir, masks_dir in candidates:
        images = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        masks = {p.stem: p for p in masks_dir.glob("*.png")} if masks_dir.is_dir() else {}
        if images:
            sequences.append(SourceSequence(name, images, masks))
    return sequences


def overlay(frame: NDArray[np.uint8], labels: NDArray[np.uint8], palette: NDArray[np.uint8]) -> NDArray:
    """The frame with each object tinted in its palette colour and outlined; void hatched grey."""
    out = frame.astype(np.float32)
    for value in np.unique(labels):
        if value == 0:
            continue
        mask = labels == value
        color = np.array((128, 128, 128) if value == VOID_LABEL else palette[value], dtype=np.float32)
        out[mask] = 0.45 * out[mask] + 0.55 * color
    out_u8 = out.astype(np.uint8)
    for value in np.unique(labels):
        if value in (0, VOID_LABEL):
            continue
        contours, _ = cv2.findContours((labels == value).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(out_u8, contours, -1, tuple(int(c) for c in palette[value]), 2)
    return out_u8


class H264Writer:
    """An MP4 written with libx264 in yuv420p, the profile every browser and the studio decode."""

    def __init__(self, path: Path, width: int, height: int, fps: Fraction, crf: int) -> None:
        self.container = av.open(str(path), mode="w")
        self.stream = self.container.add_stream("libx264", rate=fps)
        self.stream.width, self.stream.height = width, height
        self.stream.pix_fmt = "yuv420p"
        # crf 0: lossless (qp 0), the frames decode to the JPEGs' pixels in yuv420p whatever x264
        # decides. A lossy crf (18 is visually lossless, ~10x smaller) is not the same run to run:
        # x264 here (PyAV's build) writes different pixels each time, up to 20 grey levels on every
        # frame of a DAVIS sequence, on one thread too, and with them every figure measured on the
        # videos moves (the robot annotator's). preset veryfast: a 50-frame 480p clip in a second.
        quality = {"qp": "0"} if crf == 0 else {"crf": str(crf)}
        self.stream.options = {**quality, "preset": "veryfast"}
        self.time_base = 1 / Fraction(fps)
        self.frames = 0

    def write(self, rgb: NDArray[np.uint8]) -> None:
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames
        frame.time_base = self.time_base  # one tick per frame: exact frame count and fps
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


def convert_sequence(
    seq: SourceSequence, out: Path, *, fps: Fraction, crf: int, max_frames: int | None, gt_videos: bool
) -> dict:
    images = seq.images[:max_frames] if max_frames else seq.images
    first = np.array(Image.open(images[0]).convert("RGB"))
    height, width = first.shape[0] - first.shape[0] % 2, first.shape[1] - first.shape[1] % 2
    gt_dir = out / "gt" / seq.name
    gt_dir.mkdir(parents=True, exist_ok=True)
    (out / "videos").mkdir(parents=True, exist_ok=True)
    video = H264Writer(out / "videos" / f"{seq.name}.mp4", width, height, fps, crf)
    gt_video = None
    if gt_videos:
        (out / "gt_videos").mkdir(parents=True, exist_ok=True)
        gt_video = H264Writer(out / "gt_videos" / f"{seq.name}.mp4", width, height, fps, crf)
    palette = np.array(davis_palette(), dtype=np.uint8).reshape(256, 3)
    annotated, object_ids = 0, set()
    try:
        for index, image_path in enumerate(tqdm(images, desc=seq.name, unit="frame", leave=False)):
            rgb = np.array(Image.open(image_path).convert("RGB"))
            if rgb.shape[:2] != first.shape[:2]:
                raise ValueError(f"{image_path} is {rgb.shape[1]}x{rgb.shape[0]}, the first frame is not")
            rgb = rgb[:height, :width]
            video.write(rgb)
            mask_path = seq.masks.get(image_path.stem)
            if mask_path is None:
                labels = None
            else:
                labels = read_label_png(mask_path)[:height, :width]
                write_label_png(labels, gt_dir / f"{index:05d}.png")
                annotated += 1
                object_ids.update(int(v) for v in np.unique(labels) if v not in (0, VOID_LABEL))
            if gt_video is not None:
                gt_video.write(rgb if labels is None else overlay(rgb, labels, palette))
    finally:
        video.close()
        if gt_video is not None:
            gt_video.close()
    return {
        "sequence": seq.name,
        "frames": len(images),
        "gt_frames": annotated,
        "objects": len(object_ids),
        "width": width,
        "height": height,
        "fps": float(fps),
        "video": str(out / "videos" / f"{seq.name}.mp4"),
        "gt": str(gt_dir),
        "cropped": (width, height) != (first.shape[1], first.shape[0]),
    }


def count_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="DAVIS-layout folder (JPEGImages + Annotations)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--sequences", help="comma-separated sequence names (default: all)")
    parser.add_argument("--max-frames", type=int, help="keep only the first N frames of each sequence")
    parser.add_argument("--fps", type=Fraction, default=Fraction(24), help="frame rate (DAVIS: 24)")
    parser.add_argument(
        "--crf",
        type=int,
        default=0,
        help="x264 quality, lower is better; 0 (the default): lossless, the same frames every run; "
        "18: visually lossless, ~10x smaller, not the same pixels run to run",
    )
    parser.add_argument("--gt-videos", action="store_true", help="also write videos with the GT burned in")
    parser.add_argument("--verify", action="store_true", help="decode each MP4 and check its frame count")
    parser.add_argument("--json", dest="json_out", help="write the manifest as JSON to this file ('-': stdout)")
    args = parser.parse_args(argv)

    sequences = find_sequences(args.source)
    if args.sequences:
        wanted = [s.strip() for s in args.sequences.split(",") if s.strip()]
        missing = sorted(set(wanted) - {s.name for s in sequences})
        if missing:
            parser.error(f"sequences not found in {args.source}: {', '.join(missing)}")
        sequences = [s for s in sequences if s.name in wanted]
    if not sequences:
        parser.error(f"no DAVIS sequences (JPEGImages/...) found in {args.source}")

    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for seq in tqdm(sequences, desc="sequences", unit="seq"):
        start = time.perf_counter()
        row = convert_sequence(
            seq, args.out, fps=args.fps, crf=args.crf, max_frames=args.max_frames, gt_videos=args.gt_videos
        )
        row["seconds"] = round(time.perf_counter() - start, 2)
        if args.verify:
            row["decoded_frames"] = count_frames(Path(row["video"]))
            if row["decoded_frames"] != row["frames"]:
                raise SystemExit(f"{row['video']}: decoded {row['decoded_frames']} frames, wrote {row['frames']}")
        rows.append(row)

    write_json({"sequences": rows}, args.out / "manifest.json")
    columns = ["sequence", "frames", "gt_frames", "objects", "width", "height", "seconds"]
    if args.verify:
        columns.insert(2, "decoded_frames")
    print(format_table(rows, columns, digits=2))
    print(f"videos in {args.out / 'videos'}, ground truth in {args.out / 'gt'}")
    if args.json_out:
        write_json({"sequences": rows}, args.json_out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
