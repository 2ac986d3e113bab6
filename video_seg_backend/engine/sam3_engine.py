"""SAM 3 concept prompts through transformers: a few words on a frame -> every instance found there.

SAM 3 is not a click engine here: it finds the instances of a concept on one frame (``Sam3Model`` +
``Sam3Processor``: a DETR-style detector conditioned on text, with a mask head), and each instance
becomes an object whose mask is a key frame. Tracking and corrections then go through the click
engines like any other object, so one tracking job and one undo serve clicked and found objects.
``Sam3VideoModel`` would track as well, but as a second tracker with a state of its own that a
person's clicks could not correct.

The same finder is auto-annotation's open-vocabulary detector (:class:`Sam3Detector`).
"""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..core.config import Settings
from ..detection.base import Detection
from .sam2_device import Autocast, select_autocast, select_device

log = logging.getLogger(__name__)

# CLIP's text encoder reads 32 tokens (start and end included); the processor pads to this and
# cannot truncate a longer prompt without changing what it asks for.
MAX_PROMPT_TOKENS = 32


@dataclass(frozen=True)
class ConceptInstance:
    """One instance found on a frame: its mask (H x W bool, the frame's size), box (x0, y0, x1, y1
    in source pixels) and score in [0, 1]."""

    mask: np.ndarray
    box: tuple[float, float, float, float]
    score: float


class Sam3ConceptEngine:
    """Finds the instances of a text concept on RGB frames. Thread-safe (one call at a time)."""

    def __init__(self, key: str, model: Any, processor: Any, device: torch.device, autocast: Autocast | None) -> None:
        self.key = key
        self.model = model
        self.processor = processor
        self.device = device
        self.autocast = autocast
        self._lock = threading.Lock()  # the request thread and a job may call at once

    def check_prompt(self, text: str) -> str:
        """The prompt as the model reads it; ValueError for an empty or over-long one."""
        cleaned = " ".join(text.split())
        if not cleaned:
            raise ValueError('The concept prompt is empty: name what to find, e.g. "person".')
        tokens = len(self.processor.tokenizer(cleaned)["input_ids"])
        if tokens > MAX_PROMPT_TOKENS:
            raise ValueError(
                f"The concept prompt is too long for SAM 3 ({tokens} tokens, at most {MAX_PROMPT_TOKENS}): "
                'a few words, e.g. "red car".'
            )
        return cleaned

    @torch.inference_mode()
    def find(self, rgb: np.ndarray, text: str, threshold: float = 0.5) -> list[ConceptInstance]:
        """Every instance of ``text`` on the frame scoring at least ``threshold``, best first; empty
        masks (an instance too small at the frame's size) are left out."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"find expects an H x W x 3 uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must lie in [0, 1], got {threshold}")
        prompt = self.check_prompt(text)
        height, width = rgb.shape[:2]
        with self._lock:
            inputs = self.processor(images=rgb, text=prompt, return_tensors="pt").to(self.device)
            autocast = torch.autocast(self.autocast[0], self.autocast[1]) if self.autocast else nullcontext()
            with autocast:
                outputs = self.model(**inputs)
            for name, value in outputs.items():  # thresholds apply in float32: bf16 rounds logits near 0 to 0
                if isinstance(value, torch.Tensor) and value.is_floating_point():
                    outputs[name] = value.float()
            result = self.processor.post_process_instance_segmentation(
                outputs, threshold=threshold, mask_threshold=0.5, target_sizes=[(height, width)]
            )[0]
        scores = result["scores"].float().cpu().numpy()
        boxes = result["boxes"].float().cpu().numpy()
        masks = result["masks"].cpu().numpy().astype(bool)
        found = []
        for index in np.argsort(-scores, kind="stable"):
            if not masks[index].any():
                continue
            x0, y0, x1, y1 = (float(v) for v in boxes[index])
            box = (max(0.0, x0), max(0.0, y0), min(float(width), x1), min(float(height), y1))
            found.append(ConceptInstance(masks[index], box, float(np.clip(scores[index], 0.0, 1.0))))
        return found

    def detector(self, text: str, threshold: float = 0.5, label: str | None = None) -> Sam3Detector:
        return Sam3Detector(self, self.check_prompt(text), threshold, label or text)


class Sam3Detector:
    """Auto-annotation's detector: SAM 3 on one concept. Boxes come from the masks' instances, so a
    box whose mask vanished at the frame's size is never returned."""

    def __init__(self, engine: Sam3ConceptEngine, text: str, threshold: float, label: str) -> None:
        self.engine = engine
        self.text = text
        # Applied by SAM 3's post-processing: below it no full-size mask is made (200 queries per frame).
        self.threshold = threshold
        self.label = label

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        found = self.engine.find(rgb, self.text, threshold=self.threshold)
        return [Detection(i.box, i.score, self.label) for i in found if i.box[2] > i.box[0] and i.box[3] > i.box[1]]


def build_sam3_engine(
    key: str, weights: Path | None, settings: Settings, device: torch.device | None = None, seed: int = 0
) -> Sam3ConceptEngine:
    """Load SAM 3 from a local folder in transformers' format (config, weights, processor and
    tokenizer files); with no folder a tiny random model (tests only, see ``sam3_random``)."""
    device = device or select_device(settings.device)
    autocast = select_autocast(device, settings.precision)
    if weights is None:
        from .sam3_random import random_sam3

        model, processor = random_sam3(settings.sam2_image_size or 112, seed)
    else:
        from transformers import Sam3Model, Sam3Processor

        model = Sam3Model.from_pretrained(str(weights), local_files_only=True)
        processor = Sam3Processor.from_pretrained(str(weights), local_files_only=True)
    log.info("SAM 3 %s on %s (%s)", key, device, "bf16" if autocast else "fp32")
    return Sam3ConceptEngine(key, model.eval().to(device), processor, device, autocast)
