"""The mask decoder's predicted IoU, kept for the tracked mask's confidence.

sam2's video predictor (and transformers' EdgeTAM) compute a predicted IoU for every decoded mask
but drop it from the per-frame output they return; a tap on the decoder call keeps the last one per
thread, so a propagation step reads it right after its own inference call.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import torch


class IouTap:
    """Holds the predicted IoU of the last decoder call made on this thread."""

    def __init__(self) -> None:
        self._local = threading.local()

    def keep(self, ious: torch.Tensor | None) -> None:
        # With several candidate masks the model keeps the one of highest predicted IoU.
        self._local.iou = None if ious is None else float(ious.detach().float().max().clamp(0.0, 1.0))

    def take(self) -> float | None:
        """The last IoU kept on this thread (None: no decoder ran since the last take)."""
        iou = getattr(self._local, "iou", None)
        self._local.iou = None
        return iou


def tap_sam2(predictor: Any) -> IouTap:
    """Wrap sam2's ``_forward_sam_heads`` (returns ..., ious, ... as its third item) on this instance."""
    tap = IouTap()
    original = getattr(predictor, "_forward_sam_heads", None)
    if original is None:  # a predictor without sam2's heads (a stand-in): confidence is presence alone
        return tap

    @functools.wraps(original)
    def forward_sam_heads(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        tap.keep(out[2])
        return out

    predictor._forward_sam_heads = forward_sam_heads
    return tap


def tap_edgetam(model: Any) -> IouTap:
    """Wrap transformers' ``_single_frame_forward`` (its output carries ``iou_scores``) on this instance."""
    tap = IouTap()
    original = getattr(model, "_single_frame_forward", None)
    if original is None:
        return tap

    @functools.wraps(original)
    def single_frame_forward(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        tap.keep(getattr(out, "iou_scores", None))
        return out

    model._single_frame_forward = single_frame_forward
    return tap


def mask_confidence(iou: float | None, object_score_logit: torch.Tensor) -> float:
    """Predicted IoU times the probability that the object is in the frame at all."""
    present = float(torch.sigmoid(object_score_logit.float()).reshape(-1)[0])
    return float(min(1.0, max(0.0, (1.0 if iou is None else iou) * present)))
