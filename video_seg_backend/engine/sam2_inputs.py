"""Our prompts and masks as sam2's tensors, and sam2's outputs as our masks.

``image_size`` is the model's square input side; coordinates and masks come in source pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .base import BoxPrompt, FrameSource, ObjectMask, PointPrompt, Prompt
from .sam2_confidence import mask_confidence

# sam2's point labels: 1 positive click, 0 negative click, 2/3 the box's top-left/bottom-right corners.
_POSITIVE, _NEGATIVE, _BOX_TL, _BOX_BR = 1, 0, 2, 3


def point_inputs(
    prompts: Sequence[Prompt], frames: FrameSource, image_size: int, device: torch.device
) -> dict[str, torch.Tensor]:
    """sam2's point_inputs: a box first (two corner points), then the clicks in order, scaled
    from source pixels to the model's input size."""
    coords: list[tuple[float, float]] = []
    labels: list[int] = []
    for prompt in prompts:
        if isinstance(prompt, BoxPrompt):
            coords[:0] = [(prompt.x0, prompt.y0), (prompt.x1, prompt.y1)]
            labels[:0] = [_BOX_TL, _BOX_BR]
    for prompt in prompts:
        if isinstance(prompt, PointPrompt):
            coords.append((prompt.x, prompt.y))
            labels.append(_POSITIVE if prompt.positive else _NEGATIVE)
    scale = torch.tensor([image_size / frames.width, image_size / frames.height], dtype=torch.float32)
    points = torch.tensor(coords, dtype=torch.float32) * scale
    return {
        "point_coords": points[None].to(device),
        "point_labels": torch.tensor(labels, dtype=torch.int32)[None].to(device),
    }


def mask_inputs(mask: np.ndarray, image_size: int, device: torch.device) -> torch.Tensor:
    """A boolean source-size mask as sam2's mask input (as ``add_new_mask`` resizes it)."""
    size = image_size
    t = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None].to(device)
    if t.shape[-2:] != (size, size):
        t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        t = (t >= 0.5).float()
    return t


def mask_logits(mask: np.ndarray, image_size: int, device: torch.device) -> torch.Tensor:
    """A binary mask as the decoder's low-resolution mask logits (1, 1, S/4, S/4)."""
    size = image_size // 4
    full = torch.from_numpy(mask.astype(np.float32))[None, None]
    small = F.interpolate(full, size=(size, size), mode="area") > 0.5
    # +-10 is a confident mask after the sigmoid, well inside sam2's own +-32 clamp.
    return torch.where(small, 10.0, -10.0).to(device)


def object_masks(
    object_ids: list[int],
    outs: list[dict[str, Any]],
    frames: FrameSource,
    device: torch.device,
    ious: list[float | None] | None = None,
) -> list[ObjectMask]:
    """sam2's low-resolution outputs as frame-sized boolean masks with the object score, and with
    a confidence when the decoder's predicted IoUs (``ious``, one per output) are given."""
    if not outs:
        return []
    logits = torch.cat([out["pred_masks"].to(device, non_blocking=True) for out in outs]).float()
    video_res = F.interpolate(logits, size=(frames.height, frames.width), mode="bilinear", align_corners=False)
    masks = (video_res[:, 0] > 0).cpu().numpy()
    scores = [float(torch.sigmoid(out["object_score_logits"].float()).reshape(-1)[0]) for out in outs]
    if ious is None:
        return [ObjectMask(oid, masks[i], scores[i]) for i, oid in enumerate(object_ids)]
    confidences = [mask_confidence(iou, out["object_score_logits"]) for iou, out in zip(ious, outs, strict=True)]
    return [ObjectMask(oid, masks[i], scores[i], confidences[i]) for i, oid in enumerate(object_ids)]
