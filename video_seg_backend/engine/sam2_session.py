"""The SAM 2 state of one media item: sam2's ``inference_state`` built by hand, and its size.

``init_state`` would decode the whole video into float32 at 1024x1024 (12 MB a frame). We build the
same dict with a :class:`LazyVideoFrames` as ``images`` (sam2 only indexes it one frame at a time).
tests/engine_sam2/test_sam2_state.py checks that its keys are the ones sam2's ``init_state`` makes,
so a sam2 upgrade that changes them fails a test instead of a person's session.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from .base import FrameSource, Prompt
from .frames import LazyVideoFrames


class TurnLock:
    """A session's mutex in which interactive calls go before the next propagation step.

    Why a per-frame lock rather than a separate path for clicks: a click and a tracking step both
    read and write the same sam2 state (object index maps, per-object output dicts, the feature
    slot), so they must not interleave inside a step; but a step is one frame (~20 ms on a GPU,
    ~0.1-4 s on a CPU), so a click waits at most one frame. The propagation takes the lock for one
    frame and releases it before yielding, so a consumer that writes masks or is cancelled never
    holds it. A plain Lock is not fair: the job thread could re-acquire it right after releasing it,
    frame after frame, while a click waits; here a step first lets every waiting click through.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._held = False
        self._clicks_waiting = 0

    @contextlib.contextmanager
    def interactive(self) -> Iterator[None]:
        with self._cond:
            self._clicks_waiting += 1
            try:
                while self._held:
                    self._cond.wait()
            finally:
                self._clicks_waiting -= 1
            self._held = True
        try:
            yield
        finally:
            self._release()

    @contextlib.contextmanager
    def step(self) -> Iterator[None]:
        with self._cond:
            while self._held or self._clicks_waiting:
                self._cond.wait()
            self._held = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        with self._cond:
            self._held = False
            self._cond.notify_all()


@dataclass
class Sam2Session:
    """The SAM 2 state of one media item. ``state`` is sam2's own ``inference_state`` dict."""

    media_key: str
    frames: FrameSource
    images: LazyVideoFrames
    state: dict[str, Any]
    lock: TurnLock = field(default_factory=TurnLock)
    # Image features of recently clicked frames: frame -> (image, backbone_out), as sam2 caches them.
    features: OrderedDict[int, tuple[Any, Any]] = field(default_factory=OrderedDict)
    # Prompts of each (object, frame) key frame whose decoder output sits in the state: a click that
    # extends the list only decodes the new prompts.
    chains: dict[tuple[int, int], tuple[Prompt, ...]] = field(default_factory=dict)
    # The FPN position encodings, shared by every cached frame of every session (a model constant).
    pos_enc: list[torch.Tensor] | None = None
    nbytes: int = 0  # measured by state_nbytes after every change
    propagations: int = 0  # running propagations: a busy session is never evicted


def inference_state(
    frames: FrameSource,
    images: LazyVideoFrames,
    device: torch.device,
    video_device: torch.device,
    storage_device: torch.device,
) -> dict[str, Any]:
    """The keys and layout of sam2's ``init_state``, without loading the frames or encoding frame 0."""
    return {
        "images": images,
        "num_frames": frames.num_frames,
        "offload_video_to_cpu": video_device != device,
        "offload_state_to_cpu": storage_device != device,
        "video_height": frames.height,
        "video_width": frames.width,
        "device": device,
        "storage_device": storage_device,
        "point_inputs_per_obj": {},
        "mask_inputs_per_obj": {},
        "cached_features": {},
        "constants": {},
        "obj_id_to_idx": OrderedDict(),
        "obj_idx_to_id": OrderedDict(),
        "obj_ids": [],
        "output_dict_per_obj": {},
        "temp_output_dict_per_obj": {},
        "frames_tracked_per_obj": {},
    }


def state_nbytes(s: Sam2Session) -> int:
    """Bytes a session holds: every tensor reachable from sam2's state and the feature cache (each
    storage counted once, so views and expanded tensors are not double-counted), plus the frame cache.
    The shared position encodings are a model constant and not counted."""
    roots = [v for k, v in s.state.items() if k != "images"] + [list(s.features.values())]
    return tensor_nbytes(roots, exclude=s.pos_enc or []) + s.images.nbytes


def tensor_nbytes(roots: list[Any], exclude: list[torch.Tensor]) -> int:
    """Bytes of every tensor reachable through dicts, lists and tuples from ``roots``, each storage
    counted once (views and expanded tensors are not double-counted), leaving out ``exclude``'s."""
    seen = {(str(t.device), t.untyped_storage().data_ptr()) for t in exclude}
    total = 0
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if isinstance(obj, torch.Tensor):
            storage = obj.untyped_storage()
            key = (str(obj.device), storage.data_ptr())
            if key not in seen:
                seen.add(key)
                total += storage.nbytes()
        elif isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple)):
            stack.extend(obj)
    return total
