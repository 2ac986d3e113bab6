"""What the SAM 2 and EdgeTAM engines share: SAM 2's memory tracker, driven one frame at a time.

Both keep a session per media item in the byte-bounded LRU (session_cache.py), rebuild it by
replaying the key frames, decode a click as an initial conditioning frame, and track frame by frame
under the session's turn lock (sam2_session.TurnLock), reading memories only within
``memory_window`` frames behind the current one. An engine gives the model's own steps: decoding
prompts or a mask as a key frame, clearing one, whether an object has one, tracking one frame, and
measuring a session.
"""

from __future__ import annotations

import abc
import contextlib
import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np
import torch

from ..core.config import Settings
from .base import Direction, EngineSession, FrameSource, KeyFrame, ObjectMask, Prompt, SegmentationEngine
from .checks import (
    EngineInputError,
    check_frame,
    check_propagation,
    checked_mask,
    checked_prompts,
    checked_start_masks,
    own,
)
from .frames import LazyVideoFrames
from .sam2_device import Autocast
from .sam2_inputs import object_masks
from .sam2_session import TurnLock
from .session_cache import CachedSessions, SessionCache

logger = logging.getLogger(__name__)


class MemorySession(Protocol):
    media_key: str
    frames: FrameSource
    images: LazyVideoFrames
    lock: TurnLock
    nbytes: int
    propagations: int


@dataclass
class MemoryEngineConfig:
    """Tuning flags both engines have; each says what it costs."""

    # Memory budget of all cached sessions. Lower rebuilds evicted states more often (one image
    # encoder run per key frame on the next click of that video).
    state_cache_bytes: int = 4096 * 1024 * 1024
    # Resized uint8 frames kept per session: 3 MB each at 1024. More saves re-decoding JPEGs when a
    # person scrubs back and forth; tracking reads each frame once, so it gains nothing from more.
    frame_cache_frames: int = 64
    # Frames decoded ahead of tracking, in a background thread, while the model computes the
    # current one (0 = decode each when it is reached): ~10 ms of CPU a frame at 1024 off the loop.
    prefetch_frames: int = 4
    # Frames whose image features are kept per session for further clicks: ~16 MB each at 1024
    # with SAM 2.1's Hiera-T, ~6 MB with EdgeTAM (the position encodings are shared); fewer means
    # re-encoding (the expensive part of a click: ~4 s on a CPU, ~20 ms on a GPU) on a return.
    feature_cache_frames: int = 4
    # "auto", "bf16" or "fp32": see ``select_autocast``.
    precision: str = "auto"

    @classmethod
    def settings_fields(cls, settings: Settings) -> dict[str, Any]:
        return {
            "state_cache_bytes": settings.state_cache_mb * 1024 * 1024,
            "frame_cache_frames": settings.frame_cache_frames,
            "precision": settings.precision,
        }


S = TypeVar("S", bound=MemorySession)


class MemoryTrackerEngine(CachedSessions[S], SegmentationEngine):
    """Sessions, clicks and tracking of a SAM 2-style model; subclasses give the model steps."""

    session_type: type[S]
    config: MemoryEngineConfig
    device: torch.device
    autocast: Autocast | None
    memory_window: int  # frames behind the current one whose outputs the model reads
    _cache: SessionCache[S]

    # --- what an engine gives -------------------------------------------------------------------

    @abc.abstractmethod
    def _decode_prompts(
        self,
        s: S,
        frame: int,
        object_id: int,
        prompts: tuple[Prompt, ...],
        base: np.ndarray | None,
        encode_memory: bool,
    ) -> dict[str, Any]:
        """Decode ``prompts`` on ``frame`` as a key frame (``base``: the mask they correct)."""

    @abc.abstractmethod
    def _decode_mask(self, s: S, frame: int, object_id: int, mask: np.ndarray, encode_memory: bool) -> dict[str, Any]:
        """Make ``mask`` the object's key frame on ``frame``."""

    @abc.abstractmethod
    def _clear_key_frame(self, s: S, frame: int, object_id: int) -> None: ...

    @abc.abstractmethod
    def _has_key_frame(self, s: S, object_id: int) -> bool: ...

    @abc.abstractmethod
    def _track_frame(
        self, s: S, object_ids: list[int], frame: int, reverse: bool, seeds: dict[int, np.ndarray]
    ) -> list[ObjectMask]: ...

    @abc.abstractmethod
    def _measure(self, s: S) -> None:
        """Set ``s.nbytes`` from the tensors the session holds."""

    def _preflight(self, s: S, object_ids: list[int]) -> None:
        """Before a propagation's first frame (under the lock): nothing unless the model needs it."""

    # --- sessions ------------------------------------------------------------------------------

    def _replay(self, s: S, key_frames: Sequence[KeyFrame]) -> None:
        with s.lock.interactive(), self._compute():
            for key_frame in key_frames:
                try:
                    if key_frame.prompts:
                        prompts = checked_prompts(s.frames, key_frame.frame_index, key_frame.prompts, one_box=True)
                        base = None if key_frame.mask is None else checked_mask(s.frames, key_frame.mask)
                        # Its features are at hand now: the memory is encoded while they are.
                        self._decode_prompts(s, key_frame.frame_index, key_frame.object_id, prompts, base, True)
                    elif key_frame.mask is not None:
                        check_frame(s.frames, key_frame.frame_index)
                        mask = checked_mask(s.frames, key_frame.mask)
                        self._decode_mask(s, key_frame.frame_index, key_frame.object_id, mask, True)
                except ValueError as error:  # a stored prompt that no longer fits: skip, keep the rest
                    logger.warning(
                        "Skipping key frame %s of object %s of %s: %s",
                        key_frame.frame_index,
                        key_frame.object_id,
                        s.media_key,
                        error,
                    )

    # --- clicks --------------------------------------------------------------------------------

    def segment(
        self,
        session: EngineSession,
        frame_index: int,
        object_id: int,
        prompts: Sequence[Prompt],
        base_mask: np.ndarray | None = None,
    ) -> ObjectMask:
        s = own(session, self.session_type)
        prompts = checked_prompts(s.frames, frame_index, prompts, one_box=True)
        if base_mask is not None:
            base_mask = checked_mask(s.frames, base_mask)
        with s.lock.interactive(), self._compute():
            if not prompts:
                self._clear_key_frame(s, frame_index, object_id)
                result = ObjectMask(object_id, np.zeros((s.frames.height, s.frames.width), bool), None)
            else:
                out = self._decode_prompts(s, frame_index, object_id, prompts, base_mask, False)
                result = object_masks([object_id], [out], s.frames, self.device)[0]
            self._measure(s)
        self._cache.enforce_budget(keep=s)
        return result

    def set_mask(self, session: EngineSession, frame_index: int, object_id: int, mask: np.ndarray) -> None:
        s = own(session, self.session_type)
        check_frame(s.frames, frame_index)
        mask = checked_mask(s.frames, mask)
        with s.lock.interactive(), self._compute():
            self._decode_mask(s, frame_index, object_id, mask, False)
            self._measure(s)
        self._cache.enforce_budget(keep=s)

    # --- tracking ------------------------------------------------------------------------------

    def propagate(
        self,
        session: EngineSession,
        object_ids: Sequence[int],
        start_frame: int,
        direction: Direction,
        max_frames: int | None = None,
        start_masks: Mapping[int, np.ndarray] | None = None,
        may_overlap: Collection[tuple[int, int]] | None = None,
    ) -> Iterator[tuple[int, list[ObjectMask]]]:
        # Each object is tracked from its own memory, as SAM 2 ships it: masks are not kept apart.
        s = own(session, self.session_type)
        check_propagation(s.frames, start_frame, direction, max_frames)
        checked = checked_start_masks(s.frames, start_masks)
        object_ids = list(dict.fromkeys(object_ids))
        if not object_ids:
            raise EngineInputError("Choose at least one object to track.")
        with s.lock.interactive():
            for object_id in object_ids:
                if not self._has_key_frame(s, object_id):
                    raise EngineInputError(
                        f"Object {object_id} has no key frame: add a point, a box or a mask before tracking."
                    )
        n = s.frames.num_frames
        reverse = direction == "backward"
        steps = n if max_frames is None else max_frames
        if reverse:
            order = range(start_frame, max(start_frame - steps, 0) - 1, -1)
        else:
            order = range(start_frame, min(start_frame + steps, n - 1) + 1)
        return self._propagate(s, object_ids, order, reverse, checked)

    def _propagate(
        self, s: S, object_ids: list[int], order: range, reverse: bool, start_masks: dict[int, np.ndarray]
    ) -> Iterator[tuple[int, list[ObjectMask]]]:
        with self._cache.propagating(s):
            with s.lock.step(), self._compute():
                self._preflight(s, object_ids)
            ahead = min(self.config.prefetch_frames, s.images.capacity - 1)
            for i, frame in enumerate(order):
                if ahead > 0:
                    s.images.prefetch(order[i + 1 : i + 1 + ahead])
                # The lock covers one frame; it is released before the yield (see TurnLock).
                with s.lock.step(), self._compute():
                    masks = self._track_frame(s, object_ids, frame, reverse, start_masks if i == 0 else {})
                    self._measure(s)
                self._cache.enforce_budget(keep=s)
                yield frame, masks

    def _has_memory_near(self, memory: dict[str, Any], frame: int, reverse: bool) -> bool:
        """Whether tracked outputs lie within the window behind ``frame`` (else a seed may start it)."""
        w = self.memory_window
        behind = range(frame + 1, frame + w + 1) if reverse else range(frame - w, frame)
        return any(t in memory["non_cond_frame_outputs"] for t in behind)

    def _drop_outside_window(self, memory: dict[str, Any], frame: int, reverse: bool) -> None:
        """Tracked outputs the model will not read again (their masks are already persisted)."""
        lo, hi = (frame, frame + self.memory_window) if reverse else (frame - self.memory_window, frame)
        outputs = memory["non_cond_frame_outputs"]
        for t in [t for t in outputs if not lo <= t <= hi]:
            del outputs[t]

    def _compute(self) -> contextlib.ExitStack:
        """inference_mode, plus ``self.autocast`` (bf16 where the device has it natively). Both are
        thread-local, so each frame step enters them afresh, never across a yield."""
        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        if self.autocast is not None:
            device_type, dtype = self.autocast
            stack.enter_context(torch.autocast(device_type, dtype=dtype))
        return stack
