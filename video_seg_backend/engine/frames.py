"""Lazy, bounded access to a video's frames in the form SAM 2 reads them.

``sam2``'s ``init_state`` decodes every frame up front into a (N, 3, S, S) float32 tensor: 12 MB per
frame at S=1024, 24 GB for a 2,000-frame video. The predictor only ever indexes that tensor with one
frame index at a time (``inference_state["images"][frame_idx]`` in ``_get_image_feature``) and asks
its ``len`` once, so a sequence-like object that decodes, resizes and normalises on access is a
drop-in replacement. Resized frames are kept as uint8 (a quarter of the float32 size) in an LRU of
``capacity`` frames; normalising on access costs one small element-wise op per frame.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
import torch
from PIL import Image

from .base import FrameSource

# ImageNet statistics, as sam2's loaders use them.
_IMG_MEAN = (0.485, 0.456, 0.406)
_IMG_STD = (0.229, 0.224, 0.225)


class LazyVideoFrames:
    """``frames[i]`` is frame ``i`` as a normalised (3, S, S) float32 tensor on ``device``."""

    def __init__(self, source: FrameSource, image_size: int, device: torch.device, capacity: int = 64) -> None:
        if capacity < 1:
            raise ValueError(f"The frame cache must hold at least one frame, got {capacity}.")
        self.source = source
        self.image_size = image_size
        self.device = device
        self.capacity = capacity
        self._cache: OrderedDict[int, torch.Tensor] = OrderedDict()
        # Two threads (a click and a propagation step on another session of the same video) may read.
        self._lock = threading.Lock()
        self._mean = torch.tensor(_IMG_MEAN, dtype=torch.float32, device=device)[:, None, None]
        self._std = torch.tensor(_IMG_STD, dtype=torch.float32, device=device)[:, None, None]
        self.decoded = 0  # frames decoded so far (a cache-miss counter for tests and benchmarks)

    def __len__(self) -> int:
        return self.source.num_frames

    def __getitem__(self, index: int) -> torch.Tensor:
        index = int(index)
        if not 0 <= index < len(self):
            raise IndexError(f"Frame {index} is out of range (the video has {len(self)} frames).")
        with self._lock:
            resized = self._cache.get(index)
            if resized is not None:
                self._cache.move_to_end(index)
        if resized is None:
            resized = self._load(index)
            with self._lock:
                self._cache[index] = resized
                self._cache.move_to_end(index)
                while len(self._cache) > self.capacity:
                    self._cache.popitem(last=False)
        return (resized.float() / 255.0 - self._mean) / self._std

    def _load(self, index: int) -> torch.Tensor:
        rgb = self.source.read_rgb(index)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"Frame {index} must be an (H, W, 3) RGB array, got shape {rgb.shape}.")
        # PIL's default (bicubic) resize, as sam2's JPEG loader does, so masks match the bare predictor.
        size = (self.image_size, self.image_size)
        resized = np.asarray(Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).resize(size))
        self.decoded += 1
        return torch.from_numpy(resized.copy()).permute(2, 0, 1).contiguous().to(self.device)

    @property
    def nbytes(self) -> int:
        """Bytes held by the frame cache."""
        with self._lock:
            return sum(t.numel() * t.element_size() for t in self._cache.values())
