"""A small synthetic project: two videos, three objects, masks with holes and on the border."""

from __future__ import annotations

import io
import zipfile

import numpy as np
from PIL import Image

from video_seg_backend.formats import (
    DatasetLabel,
    DatasetMask,
    DatasetMedia,
    DatasetObject,
    ExportDataset,
)
from video_seg_backend.formats.base import decode_rle, encode_rle

H, W = 40, 48


def ring(frame: int) -> np.ndarray:
    """A square with a hole (the person), moving right one pixel a frame."""
    mask = np.zeros((H, W), dtype=bool)
    mask[8:24, 6 + frame : 22 + frame] = True
    mask[12:18, 10 + frame : 16 + frame] = False
    return mask


def border_blob(frame: int) -> np.ndarray:
    """An L shape touching the top, right and bottom borders (the car)."""
    mask = np.zeros((H, W), dtype=bool)
    mask[0:H, W - 6 - frame : W] = True
    mask[0:4, 30:W] = True
    mask[H - 3 : H, 28:W] = True
    return mask


def small_box(frame: int) -> np.ndarray:
    mask = np.zeros((H, W), dtype=bool)
    mask[H - 10 : H, 0 : 5 + frame] = True  # touches left and bottom
    return mask


def jpeg(frame: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (W, H), (frame * 40 % 256, 80, 120)).save(buffer, format="JPEG")
    return buffer.getvalue()


# (object id, frame) -> (mask, source); object 2 is absent on frame 2 (a gap in its track).
SOURCES = {0: "prompt", 3: "edited"}


def expected_masks() -> dict[tuple[int, int], np.ndarray]:
    masks = {}
    for frame in range(5):
        masks[(1, frame)] = ring(frame)
        if frame != 2:
            masks[(2, frame)] = border_blob(frame)
    for frame in range(3):
        masks[(3, frame)] = small_box(frame)
    return masks


def make_dataset(masks_as_function: bool = False) -> ExportDataset:
    labels = [DatasetLabel(10, "person", "#ff0000"), DatasetLabel(11, "car", "#00ff00")]
    media = [
        DatasetMedia(100, "walk.mp4", "video", W, H, num_frames=5, fps=25.0, read_frame=jpeg),
        DatasetMedia(101, "clip two.mp4", "video", W, H, num_frames=3, fps=25.0, read_frame=jpeg),
    ]
    objects = [
        DatasetObject(1, 100, 10, track_id=1),
        DatasetObject(2, 100, 11, track_id=2),
        DatasetObject(3, 101, 11, track_id=1),
    ]
    masks = [
        DatasetMask(
            object_id=obj,
            frame_index=frame,
            rle=encode_rle(bitmap),
            source=SOURCES.get(frame, "propagated"),  # type: ignore[arg-type]
            score=0.9,
        )
        for (obj, frame), bitmap in sorted(expected_masks().items())
    ]
    if masks_as_function:
        media_of = {o.id: o.media_id for o in objects}

        def masks_of(item: DatasetMedia):
            return (m for m in masks if media_of[m.object_id] == item.id)

        return ExportDataset("Demo project", "video", labels, media, objects, masks_of)
    return ExportDataset("Demo project", "video", labels, media, objects, masks)


def zip_of(dataset: ExportDataset, format_name: str, **options) -> zipfile.ZipFile:
    from video_seg_backend.formats import ExportOptions, export_zip

    buffer = io.BytesIO()
    export_zip(dataset, format_name, buffer, ExportOptions(**options))
    buffer.seek(0)
    return zipfile.ZipFile(buffer)


def masks_by_object_frame(result) -> dict[tuple[str, int], np.ndarray]:
    return {(m.object_key, m.frame_index): decode_rle(m.rle) for m in result.masks}
