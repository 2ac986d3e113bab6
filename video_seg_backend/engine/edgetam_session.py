"""The EdgeTAM state of one media item: transformers' own inference session, with lazy frames.

``EdgeTamVideoInferenceSession`` holds the whole video as ``processed_frames`` (a dict of float32
tensors at the model's input size: 12 MB a frame at 1024) and reads it only through ``get_frame``
(``processed_frames[i]``) and ``num_frames`` (``len``). A mapping that decodes on access
(:class:`LazyFrameMap` over :class:`LazyVideoFrames`) keeps a bounded number of frames instead.

Its feature cache keeps ``max_vision_features_cache_size`` frames and drops the lowest frame index
when full, each entry with its own FPN position encodings (~85 MB at 1024, 256 channels up to
256x256). :class:`SharedFeatureCache` drops the least recently used frame instead, and keeps one
copy of the position encodings (a sine embedding of the feature sizes: a model constant).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from transformers import EdgeTamVideoInferenceSession
from transformers.models.edgetam_video.modeling_edgetam_video import EdgeTamVideoInferenceCache

from .base import FrameSource
from .frames import LazyVideoFrames
from .sam2_session import TurnLock, tensor_nbytes


class LazyFrameMap(Mapping[int, torch.Tensor]):
    """``processed_frames`` as transformers reads it: frame index -> normalised (3, S, S) tensor."""

    def __init__(self, images: LazyVideoFrames) -> None:
        self.images = images

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.images[index]

    def __len__(self) -> int:
        return len(self.images)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.images)))


class SharedFeatureCache(EdgeTamVideoInferenceCache):
    """transformers' per-session feature cache, least recently used first, with the position
    encodings shared by every frame of every session (``shared`` holds the one copy)."""

    def __init__(self, capacity: int, device: torch.device, shared: list[list[torch.Tensor]]) -> None:
        super().__init__(device, device, max(1, capacity))
        self._vision_features: OrderedDict[int, dict[str, Any]] = OrderedDict()
        self._shared = shared

    def cache_vision_features(self, frame_idx: int, features: dict[str, Any]) -> None:
        pos = list(features["vision_pos_embeds"])
        if not self._shared or _layout(self._shared[0]) != _layout(pos):
            self._shared[:] = [pos]
        self._vision_features[frame_idx] = {
            "vision_feats": features["vision_feats"],
            "vision_pos_embeds": self._shared[0],
        }
        self._vision_features.move_to_end(frame_idx)
        while len(self._vision_features) > self.max_vision_features_cache_size:
            self._vision_features.popitem(last=False)

    def get_vision_features(self, frame_idx: int) -> dict[str, Any] | None:
        cached = self._vision_features.get(frame_idx)
        if cached is not None:
            self._vision_features.move_to_end(frame_idx)
        return cached

    def frames(self) -> list[int]:
        return list(self._vision_features)


def _layout(tensors: list[torch.Tensor]) -> list[tuple[Any, ...]]:
    return [(t.shape, t.dtype, t.device) for t in tensors]


@dataclass
class EdgeTamSession:
    """The EdgeTAM state of one media item. ``state`` is transformers' inference session."""

    media_key: str
    frames: FrameSource
    images: LazyVideoFrames
    state: EdgeTamVideoInferenceSession
    cache: SharedFeatureCache
    lock: TurnLock = field(default_factory=TurnLock)
    nbytes: int = 0  # measured by state_nbytes after every change
    propagations: int = 0  # running propagations: a busy session is never evicted


def new_inference_session(
    frames: FrameSource, images: LazyVideoFrames, device: torch.device, cache: SharedFeatureCache
) -> EdgeTamVideoInferenceSession:
    """transformers' session for a whole video, its frames decoded on access."""
    state = EdgeTamVideoInferenceSession(
        video=None,
        video_height=frames.height,
        video_width=frames.width,
        inference_device=device,
        inference_state_device=device,
        video_storage_device=images.device,
        dtype=torch.float32,
    )
    state.processed_frames = LazyFrameMap(images)  # type: ignore[assignment]
    state.cache = cache
    return state


def state_nbytes(s: EdgeTamSession) -> int:
    """Bytes a session holds: every tensor reachable from the inference session's inputs, outputs and
    feature cache (each storage counted once), plus the frame cache. The shared position encodings
    are a model constant and not counted."""
    shared = s.cache._shared[0] if s.cache._shared else []
    roots: list[Any] = [
        s.state.point_inputs_per_obj,
        s.state.mask_inputs_per_obj,
        s.state.output_dict_per_obj,
        list(s.cache._vision_features.values()),
    ]
    return tensor_nbytes(roots, exclude=shared) + s.images.nbytes
