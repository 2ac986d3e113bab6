"""Lazy, bounded access to a video's frames in the form SAM 2 reads them.

``sam2``'s ``init_state`` decodes every frame up front into a (N, 3, S, S) float32 tensor: 12 MB per
frame at S=1024, 24 GB for a 2,000-frame video. The predictor only ever indexes that tensor with one
frame index at a time (``inference_state["images"][frame_idx]`` in ``_get_image_feature``) and asks
its ``len`` once, so a sequence-like object that decodes, resizes and normalises on access is a
drop-in replacement. Resized frames are kept as uint8 (a quarter of the float32 size) in an LRU of
``capacity`` frames; normalising on access costs one small element-wise op per frame.

Decoding and resizing a frame takes ~10 ms of CPU at 1024 (PIL's bicubic resize dominates): nothing
next to a tracking step on a CPU (~2 s), but half of one on a GPU, where the bare predictor has
every frame decoded before it starts. So tracking asks for the next few frames ahead
(:meth:`LazyVideoFrames.prefetch`) and one background thread decodes them while the model computes
(PIL, OpenCV and PyTorch release the GIL in that work).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import torch
from PIL import Image

from .base import FrameSource

# ImageNet statistics, as sam2's loaders use them.
_IMG_MEAN = (0.485, 0.456, 0.406)
_IMG_STD = (0.229, 0.224, 0.225)

_prefetcher: ThreadPoolExecutor | None = None
_prefetcher_lock = threading.Lock()


def _prefetch_pool() -> ThreadPoolExecutor:
    """One decoding thread for the process: one propagation runs at a time (the job worker)."""
    global _prefetcher
    with _prefetcher_lock:
        if _prefetcher is None:
            _prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frame-prefetch")
        return _prefetcher


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
        self._pending: dict[int, Future[None]] = {}  # frames a prefetch is decoding
        self.decoded = 0  # frames decoded so far (a cache-miss counter for tests and benchmarks)
        self.wait_s = 0.0  # time readers spent decoding or waiting for a frame (for benchmarks)

    def __len__(self) -> int:
        return self.source.num_frames

    def __getitem__(self, index: int) -> torch.Tensor:
        index = int(index)
        if not 0 <= index < len(self):
            raise IndexError(f"Frame {index} is out of range (the video has {len(self)} frames).")
        started = time.perf_counter()
        with self._lock:
            resized = self._cache.get(index)
            if resized is not None:
                self._cache.move_to_end(index)
            pending = self._pending.get(index) if resized is None else None
        if pending is not None:
            # Decoded in the background: wait for it rather than decode it twice. A failed prefetch
            # is retried here, so that its error is raised to the reader.
            if pending.exception() is None:
                with self._lock:
                    resized = self._cache.get(index)
        if resized is None:
            resized = self._load(index)
            self._store(index, resized)
        self.wait_s += time.perf_counter() - started
        return (resized.float() / 255.0 - self._mean) / self._std

    def prefetch(self, indices: Iterable[int]) -> None:
        """Decode these frames in the background, unless cached or on their way. At most
        ``capacity - 1`` are taken, so a prefetch never evicts the frame being read."""
        with self._lock:
            wanted = [
                i
                for i in dict.fromkeys(int(i) for i in indices)
                if 0 <= i < len(self) and i not in self._cache and i not in self._pending
            ][: max(0, self.capacity - 1)]
            for i in wanted:
                self._pending[i] = _prefetch_pool().submit(self._prefetch_one, i)

    def _prefetch_one(self, index: int) -> None:
        try:
            self._store(index, self._load(index))
        finally:
            with self._lock:
                self._pending.pop(index, None)

    def _store(self, index: int, resized: torch.Tensor) -> None:
        with self._lock:
            self._cache[index] = resized
            self._cache.move_to_end(index)
            while len(self._cache) > self.capacity:
                self._cache.popitem(last=False)

    def _load(self, index: int) -> torch.Tensor:
        rgb = self.source.read_rgb(index)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"Frame {index} must be an (H, W, 3) RGB array, got shape {rgb.shape}.")
        # PIL's default (bicubic) resize, as sam2's JPEG loader does, so masks match the bare predictor.
        size = (self.image_size, self.image_size)
        resized = np.asarray(Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8)).resize(size))
        with self._lock:
            self.decoded += 1
        return torch.from_numpy(resized.copy()).permute(2, 0, 1).contiguous().to(self.device)

    @property
    def nbytes(self) -> int:
        """Bytes held by the frame cache."""
        with self._lock:
            return sum(t.numel() * t.element_size() for t in self._cache.values())
