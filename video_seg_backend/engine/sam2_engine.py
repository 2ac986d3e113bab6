"""SAM 2.1 engine over the ``sam2`` package's video predictor.

How it differs from driving ``SAM2VideoPredictor`` directly, and why:

- **Frames load lazily.** ``init_state`` would decode the whole video into float32 at 1024x1024
  (12 MB a frame). We build the ``inference_state`` dict ourselves with a :class:`LazyVideoFrames`
  as ``images`` (sam2 only indexes it one frame at a time), holding ``frame_cache_frames`` frames.
- **Frames are decoded ahead while tracking.** The next ``prefetch_frames`` frames are decoded and
  resized in a background thread while the model computes the current one, as sam2's own loader
  has every frame ready before tracking starts (~10 ms a frame at 1024, half a GPU step).
- **States live in an LRU bounded by bytes.** Each session's size is measured from the tensors it
  holds (shared storages counted once); when the total passes ``state_cache_mb`` the least recently
  used idle sessions are dropped. A dropped (or never built) session is rebuilt by calling the
  service's ``replay`` callback, so nothing a person clicked is lost.
- **Key frames are a function of their own prompts.** A click is decoded as an initial conditioning
  frame (no memory of other frames), chaining the prompts in order as sam2's demo does (each step
  feeds the previous step's mask logits to the decoder). The mask therefore depends only on the
  frame and its prompt list, so a state rebuilt by replay gives the very masks the person saw.
  The cost: a correction click on a tracked frame does not use the tracking memory (sam2's
  "correction" mode); the studio re-tracks from the corrected key frame instead.
- **Frame features are cached per frame** (a small LRU): a further click on any recently clicked
  frame only runs the prompt encoder and mask decoder. sam2 keeps only the latest frame's features.
- **Small holes are filled without sam2's CUDA extension.** sam2.1 fills holes of up to 8 low-res
  pixels in every mask it predicts, with connected components from its optional ``_C`` extension
  (built only with nvcc, and for GPU tensors only); without it sam2 warns and skips the step. OpenCV
  computes the same components for the other cases, so masks get sam2's post-processing on any install.
- **Memory stays flat while tracking.** sam2 reads non-conditioning outputs only within
  ``(num_maskmem - 1) * stride`` frames (mask memories) and ``max_obj_ptrs_in_encoder - 1`` frames
  (object pointers) behind the current frame; older ones are dropped as tracking advances (the
  service has already persisted their masks).
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ..core.config import Settings
from .base import (
    BoxPrompt,
    Direction,
    EngineSession,
    FrameSource,
    KeyFrame,
    ObjectMask,
    PointPrompt,
    Prompt,
    ReplayFn,
    SegmentationEngine,
)
from .frames import LazyVideoFrames

logger = logging.getLogger(__name__)

# sam2's point labels: 1 positive click, 0 negative click, 2/3 the box's top-left/bottom-right corners.
_POSITIVE, _NEGATIVE, _BOX_TL, _BOX_BR = 1, 0, 2, 3


def select_device(preference: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU; ``preference`` other than "auto" forces one (ValueError if absent)."""
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("The device is set to cuda, but PyTorch sees no CUDA GPU on this machine.")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise ValueError("The device is set to mps, but Apple's Metal (MPS) is not available here.")
    return torch.device(preference)


Autocast = tuple[str, torch.dtype]


def connected_components(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """sam2's ``get_connected_components``: for (N, 1, H, W) binary masks, each pixel's 8-connected
    component label and that component's area (both 0 off the mask). sam2's CUDA kernel for masks on
    a GPU when its extension is built, else OpenCV (the kernel cannot take CPU tensors)."""
    if mask.is_cuda and _sam2_extension() is not None:
        return _sam2_extension().get_connected_componnets(mask.to(torch.uint8).contiguous())
    binary = mask.to(torch.uint8).cpu().numpy()
    labels = np.zeros(binary.shape, dtype=np.int32)
    areas = np.zeros(binary.shape, dtype=np.int32)
    for i in range(binary.shape[0]):
        _, labels[i, 0], stats, _ = cv2.connectedComponentsWithStats(binary[i, 0], connectivity=8, ltype=cv2.CV_32S)
        area = stats[:, cv2.CC_STAT_AREA].astype(np.int32)
        area[0] = 0  # OpenCV's label 0: the pixels off the mask
        areas[i, 0] = area[labels[i, 0]]
    return torch.from_numpy(labels).to(mask.device), torch.from_numpy(areas).to(mask.device)


def _sam2_extension() -> Any:
    """sam2's compiled ``_C`` module, or None (sam2 built with SAM2_BUILD_CUDA=0, as we install it)."""
    try:
        from sam2 import _C
    except ImportError:
        return None
    return _C


def patch_sam2_connected_components() -> None:
    """Route sam2's hole filling through ``connected_components``, which works on any install."""
    import sam2.utils.misc

    sam2.utils.misc.get_connected_components = connected_components


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware (emulated bf16 is slower than float32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":  # private helpers of torch.cpu: absent in some versions, then float32
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, name, lambda: False)() for name in checks)
    return False


def select_autocast(device: torch.device, precision: str = "auto") -> Autocast | None:
    """The autocast the model runs under: (device type, bf16), or None for float32. "auto" takes bf16
    where ``device`` has it natively; "bf16" forces it (ValueError on MPS, which is not tried)."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        if device.type not in ("cuda", "cpu"):
            raise ValueError(f"The precision is set to bf16, which runs on cuda and cpu, not on {device.type}.")
        return (device.type, torch.bfloat16)
    return (device.type, torch.bfloat16) if native_bf16(device) else None


@dataclass
class Sam2EngineConfig:
    """Tuning flags; each says what it costs."""

    # Memory budget of all cached sessions. Lower rebuilds evicted states more often (one image
    # encoder run per key frame on the next click of that video).
    state_cache_bytes: int = 4096 * 1024 * 1024
    # Resized uint8 frames kept per session: 3 MB each at 1024. More saves re-decoding JPEGs when a
    # person scrubs back and forth; tracking reads each frame once, so it gains nothing from more.
    frame_cache_frames: int = 64
    # Frames decoded ahead of tracking, in a background thread, while the model computes the
    # current one (0 = decode each when it is reached): ~10 ms of CPU a frame at 1024 off the loop.
    prefetch_frames: int = 4
    # Frames whose image features are kept per session for further clicks. Each costs ~16 MB at
    # 1024 with Hiera-T (the high-resolution FPN levels dominate); fewer means re-encoding (the
    # expensive part of a click: ~4 s on a CPU, ~20 ms on a GPU) when a person returns to a frame.
    feature_cache_frames: int = 4
    # Keep frames / outputs on the CPU when computing on a GPU: saves GPU memory, costs a copy per
    # frame (sam2 measured 27 -> 24 fps for a state offload at 768x768).
    offload_video_to_cpu: bool = False
    offload_state_to_cpu: bool = False
    # "auto", "bf16" or "fp32": see ``select_autocast``.
    precision: str = "auto"

    @classmethod
    def from_settings(cls, settings: Settings) -> Sam2EngineConfig:
        return cls(
            state_cache_bytes=settings.state_cache_mb * 1024 * 1024,
            frame_cache_frames=settings.frame_cache_frames,
            offload_video_to_cpu=settings.offload_video_to_cpu,
            offload_state_to_cpu=settings.offload_state_to_cpu,
            precision=settings.precision,
        )


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
    nbytes: int = 0
    propagations: int = 0  # running propagations: a busy session is never evicted
    evicted: bool = False


class Sam2Engine(SegmentationEngine):
    """SAM 2.1 video segmentation + tracking; one instance per model, shared by all sessions."""

    def __init__(self, key: str, predictor: Any, config: Sam2EngineConfig | None = None) -> None:
        self.key = key
        self.predictor = predictor
        self.config = config or Sam2EngineConfig()
        self.device: torch.device = predictor.device
        # Mixed precision for the model's compute: bf16 where the device has it (as sam2's notebooks
        # run CUDA), float32 elsewhere; a (device type, dtype) pair, or None.
        self.autocast: Autocast | None = select_autocast(self.device, self.config.precision)
        on_gpu = self.device.type != "cpu"
        self._video_device = torch.device("cpu") if on_gpu and self.config.offload_video_to_cpu else self.device
        self._storage_device = torch.device("cpu") if on_gpu and self.config.offload_state_to_cpu else self.device
        self._sessions: OrderedDict[str, Sam2Session] = OrderedDict()
        self._sessions_lock = threading.Lock()
        self._build_locks: dict[str, threading.Lock] = {}
        # FPN position encodings: a model constant (they depend only on the feature sizes), shared by
        # the feature caches of all sessions and, like the weights, not counted in any session's size.
        self._pos_enc: list[torch.Tensor] | None = None
        # Outputs sam2 reads behind the current frame while tracking (see the module docstring).
        p = predictor
        window = (p.num_maskmem - 1) * p.memory_temporal_stride_for_eval
        if p.use_obj_ptrs_in_encoder:
            window = max(window, p.max_obj_ptrs_in_encoder - 1)
        self.memory_window = window

    # --- sessions ------------------------------------------------------------------------------

    def session(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> Sam2Session:
        with self._sessions_lock:
            cached = self._sessions.get(media_key)
            if cached is not None:
                self._sessions.move_to_end(media_key)
                return cached
            build_lock = self._build_locks.setdefault(media_key, threading.Lock())
        # One build per media item at a time; other media items are not held up by a long replay.
        with build_lock:
            with self._sessions_lock:
                cached = self._sessions.get(media_key)
                if cached is not None:
                    return cached
            session = self._new_session(media_key, frames)
            self._replay(session, replay())
            self._measure(session)
            with self._sessions_lock:
                self._sessions[media_key] = session
            self._enforce_budget(keep=session)
            return session

    def forget(self, media_key: str) -> None:
        with self._sessions_lock:
            dropped = self._sessions.pop(media_key, None)
            self._build_locks.pop(media_key, None)
        if dropped is not None:
            dropped.evicted = True

    def cached_sessions(self) -> dict[str, int]:
        """Media key -> bytes of each cached session, least recently used first."""
        with self._sessions_lock:
            return {key: s.nbytes for key, s in self._sessions.items()}

    def _new_session(self, media_key: str, frames: FrameSource) -> Sam2Session:
        if frames.num_frames < 1:
            raise ValueError(f"Media {media_key} has no frames to segment.")
        images = LazyVideoFrames(frames, self.predictor.image_size, self._video_device, self.config.frame_cache_frames)
        # The keys and layout of sam2's init_state, without loading the frames or encoding frame 0.
        state: dict[str, Any] = {
            "images": images,
            "num_frames": frames.num_frames,
            "offload_video_to_cpu": self._video_device != self.device,
            "offload_state_to_cpu": self._storage_device != self.device,
            "video_height": frames.height,
            "video_width": frames.width,
            "device": self.device,
            "storage_device": self._storage_device,
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
        return Sam2Session(media_key=media_key, frames=frames, images=images, state=state)

    def _replay(self, session: Sam2Session, key_frames: Sequence[KeyFrame]) -> None:
        with session.lock.interactive(), self._compute():
            for key_frame in key_frames:
                try:
                    if key_frame.prompts:
                        prompts = _checked_prompts(session, key_frame.frame_index, key_frame.prompts)
                        base = None
                        if key_frame.mask is not None:
                            base = _checked_mask(session, key_frame.frame_index, key_frame.mask)
                        self._decode_prompts(
                            session, key_frame.frame_index, key_frame.object_id, prompts, encode_memory=True, base=base
                        )
                    elif key_frame.mask is not None:
                        mask = _checked_mask(session, key_frame.frame_index, key_frame.mask)
                        self._decode_mask(session, key_frame.frame_index, key_frame.object_id, mask, encode_memory=True)
                except ValueError as error:  # a stored prompt that no longer fits: skip, keep the rest
                    logger.warning(
                        "Skipping key frame %s of object %s of %s: %s",
                        key_frame.frame_index,
                        key_frame.object_id,
                        session.media_key,
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
        s = _own(session)
        prompts = _checked_prompts(s, frame_index, prompts)
        if base_mask is not None:
            base_mask = _checked_mask(s, frame_index, base_mask)
        with s.lock.interactive(), self._compute():
            if not prompts:
                self._clear_key_frame(s, frame_index, object_id)
                result = ObjectMask(object_id, np.zeros((s.frames.height, s.frames.width), bool), None)
            else:
                out = self._decode_prompts(s, frame_index, object_id, prompts, encode_memory=False, base=base_mask)
                result = self._object_masks(s, [object_id], [out])[0]
            self._measure(s)
        self._enforce_budget(keep=s)
        return result

    def set_mask(self, session: EngineSession, frame_index: int, object_id: int, mask: np.ndarray) -> None:
        s = _own(session)
        mask = _checked_mask(s, frame_index, mask)
        with s.lock.interactive(), self._compute():
            self._decode_mask(s, frame_index, object_id, mask, encode_memory=False)
            self._measure(s)
        self._enforce_budget(keep=s)

    def remove_object(self, session: EngineSession, object_id: int) -> None:
        s = _own(session)
        with s.lock.interactive(), torch.inference_mode():
            if object_id in s.state["obj_id_to_idx"]:
                self.predictor.remove_object(s.state, object_id, need_output=False)
            for key in [k for k in s.chains if k[0] == object_id]:
                del s.chains[key]
            self._measure(s)

    def _decode_prompts(
        self,
        s: Sam2Session,
        frame: int,
        object_id: int,
        prompts: tuple[Prompt, ...],
        encode_memory: bool,
        base: np.ndarray | None = None,
    ) -> dict[str, Any]:
        """Decode ``prompts`` on ``frame`` as an initial conditioning frame; store it as a key frame.

        ``base``: the mask the first prompt refines, given to the decoder as the previous mask, as
        sam2 does for a click on a frame it has tracked."""
        state = s.state
        obj_idx = self.predictor._obj_id_to_idx(state, object_id)
        temp = state["temp_output_dict_per_obj"][obj_idx]["cond_frame_outputs"]
        previous = s.chains.get((object_id, frame))
        out = temp.get(frame)
        if out is None:
            out = state["output_dict_per_obj"][obj_idx]["cond_frame_outputs"].get(frame)
        done = 0
        if previous and out is not None and prompts[: len(previous)] == previous:
            done = len(previous)  # the person added prompts: decode only the new ones
        else:
            out = None
        self._prime_features(s, frame)
        for k in range(done, len(prompts)):
            prev_logits = None
            if out is None and base is not None:
                prev_logits = self._mask_logits(base)
            if out is not None:
                # As sam2 does for a further click: the previous mask guides the decoder (clamped
                # against rare numerical issues).
                prev_logits = torch.clamp(out["pred_masks"].to(self.device, non_blocking=True), -32.0, 32.0)
            out, _ = self.predictor._run_single_frame_inference(
                inference_state=state,
                output_dict=state["output_dict_per_obj"][obj_idx],
                frame_idx=frame,
                batch_size=1,
                is_init_cond_frame=True,
                point_inputs=self._point_inputs(s, prompts[: k + 1]),
                mask_inputs=None,
                reverse=False,
                run_mem_encoder=False,
                prev_sam_mask_logits=prev_logits,
            )
        assert out is not None
        if encode_memory and out["maskmem_features"] is None:
            self._encode_memory(s, frame, out)
        self._harvest_features(s)
        state["point_inputs_per_obj"][obj_idx][frame] = self._point_inputs(s, prompts)
        state["mask_inputs_per_obj"][obj_idx].pop(frame, None)
        # The new output waits in the temp dict; the next propagation moves it into the memory. A
        # propagation running now keeps the key frame it started with.
        temp[frame] = out
        s.chains[(object_id, frame)] = prompts
        return out

    def _mask_logits(self, mask: np.ndarray) -> torch.Tensor:
        """A binary mask as the decoder's low-resolution mask logits (1, 1, S/4, S/4)."""
        size = self.predictor.image_size // 4
        full = torch.from_numpy(mask.astype(np.float32))[None, None]
        small = F.interpolate(full, size=(size, size), mode="area") > 0.5
        # +-10 is a confident mask after the sigmoid, well inside sam2's own +-32 clamp.
        return torch.where(small, 10.0, -10.0).to(self.device)

    def _decode_mask(
        self, s: Sam2Session, frame: int, object_id: int, mask: np.ndarray, encode_memory: bool
    ) -> dict[str, Any]:
        state = s.state
        obj_idx = self.predictor._obj_id_to_idx(state, object_id)
        mask_inputs = self._mask_inputs(mask)
        self._prime_features(s, frame)
        out, _ = self.predictor._run_single_frame_inference(
            inference_state=state,
            output_dict=state["output_dict_per_obj"][obj_idx],
            frame_idx=frame,
            batch_size=1,
            is_init_cond_frame=True,
            point_inputs=None,
            mask_inputs=mask_inputs,
            reverse=False,
            run_mem_encoder=False,
        )
        if encode_memory:
            self._encode_memory(s, frame, out)
        self._harvest_features(s)
        state["mask_inputs_per_obj"][obj_idx][frame] = mask_inputs
        state["point_inputs_per_obj"][obj_idx].pop(frame, None)
        state["temp_output_dict_per_obj"][obj_idx]["cond_frame_outputs"][frame] = out
        s.chains.pop((object_id, frame), None)
        return out

    def _clear_key_frame(self, s: Sam2Session, frame: int, object_id: int) -> None:
        state = s.state
        s.chains.pop((object_id, frame), None)
        obj_idx = state["obj_id_to_idx"].get(object_id)
        if obj_idx is None:
            return
        state["point_inputs_per_obj"][obj_idx].pop(frame, None)
        state["mask_inputs_per_obj"][obj_idx].pop(frame, None)
        for outputs in (state["temp_output_dict_per_obj"][obj_idx], state["output_dict_per_obj"][obj_idx]):
            outputs["cond_frame_outputs"].pop(frame, None)
            outputs["non_cond_frame_outputs"].pop(frame, None)

    # --- tracking ------------------------------------------------------------------------------

    def propagate(
        self,
        session: EngineSession,
        object_ids: Sequence[int],
        start_frame: int,
        direction: Direction,
        max_frames: int | None = None,
        start_masks: Mapping[int, np.ndarray] | None = None,
    ) -> Iterator[tuple[int, list[ObjectMask]]]:
        s = _own(session)
        _check_frame(s, start_frame)
        if direction not in ("forward", "backward"):
            raise ValueError(f"The direction must be 'forward' or 'backward', got {direction!r}.")
        if max_frames is not None and max_frames < 0:
            raise ValueError(f"max_frames must be 0 or more, got {max_frames}.")
        object_ids = list(dict.fromkeys(object_ids))
        if not object_ids:
            raise ValueError("Choose at least one object to track.")
        with s.lock.interactive():
            for object_id in object_ids:
                obj_idx = s.state["obj_id_to_idx"].get(object_id)
                if obj_idx is None or not (
                    s.state["temp_output_dict_per_obj"][obj_idx]["cond_frame_outputs"]
                    or s.state["output_dict_per_obj"][obj_idx]["cond_frame_outputs"]
                ):
                    raise ValueError(
                        f"Object {object_id} has no key frame: add a point, a box or a mask before tracking."
                    )
        n = s.frames.num_frames
        reverse = direction == "backward"
        steps = n if max_frames is None else max_frames
        if reverse:
            order = range(start_frame, max(start_frame - steps, 0) - 1, -1)
        else:
            order = range(start_frame, min(start_frame + steps, n - 1) + 1)
        return self._propagate(s, object_ids, order, reverse, dict(start_masks or {}))

    def _propagate(
        self,
        s: Sam2Session,
        object_ids: list[int],
        order: range,
        reverse: bool,
        start_masks: dict[int, np.ndarray],
    ) -> Iterator[tuple[int, list[ObjectMask]]]:
        with self._sessions_lock:
            s.propagations += 1
        try:
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
                self._enforce_budget(keep=s)
                yield frame, masks
        finally:
            with self._sessions_lock:
                s.propagations -= 1

    def _preflight(self, s: Sam2Session, object_ids: list[int]) -> None:
        """Move the key frames decoded since the last propagation into the tracking memory."""
        state = s.state
        for object_id in object_ids:
            obj_idx = state["obj_id_to_idx"].get(object_id)
            if obj_idx is None:
                continue
            temp = state["temp_output_dict_per_obj"][obj_idx]["cond_frame_outputs"]
            memory = state["output_dict_per_obj"][obj_idx]
            for frame in sorted(temp):
                out = temp[frame]
                if out["maskmem_features"] is None:
                    self._encode_memory(s, frame, out)
                memory["cond_frame_outputs"][frame] = out
                memory["non_cond_frame_outputs"].pop(frame, None)
            temp.clear()

    def _track_frame(
        self, s: Sam2Session, object_ids: list[int], frame: int, reverse: bool, seeds: dict[int, np.ndarray]
    ) -> list[ObjectMask]:
        state = s.state
        tracked: list[int] = []
        outs: list[dict[str, Any]] = []
        self._prime_features(s, frame)
        for object_id in object_ids:
            obj_idx = state["obj_id_to_idx"].get(object_id)
            if obj_idx is None:
                continue  # removed by a person while tracking ran
            memory = state["output_dict_per_obj"][obj_idx]
            if not memory["cond_frame_outputs"]:
                continue  # its key frames were all cleared while tracking ran
            out = memory["cond_frame_outputs"].get(frame)
            if out is None:
                seed = seeds.get(object_id)
                mask_inputs = None
                if seed is not None and not self._has_memory_near(memory, frame, reverse):
                    # Cold start away from a key frame (after a restart or an eviction): the mask the
                    # database holds here becomes the most recent memory, so tracking continues from
                    # what the person sees instead of re-guessing this frame from distant key frames.
                    mask_inputs = self._mask_inputs(np.asarray(seed, dtype=bool))
                out, _ = self.predictor._run_single_frame_inference(
                    inference_state=state,
                    output_dict=memory,
                    frame_idx=frame,
                    batch_size=1,
                    is_init_cond_frame=False,
                    point_inputs=None,
                    mask_inputs=mask_inputs,
                    reverse=reverse,
                    run_mem_encoder=True,
                )
                memory["non_cond_frame_outputs"][frame] = out
            self._drop_outside_window(memory, frame, reverse)
            tracked.append(object_id)
            outs.append(out)
        # frames_tracked_per_obj is not kept: it only serves sam2's correction mode, which we do not use
        # (a click always makes an initial conditioning frame), and it would grow with every frame.
        return self._object_masks(s, tracked, outs)

    def _has_memory_near(self, memory: dict[str, Any], frame: int, reverse: bool) -> bool:
        behind = (
            range(frame + 1, frame + self.memory_window + 1) if reverse else range(frame - self.memory_window, frame)
        )
        return any(t in memory["non_cond_frame_outputs"] for t in behind)

    def _drop_outside_window(self, memory: dict[str, Any], frame: int, reverse: bool) -> None:
        lo, hi = (frame, frame + self.memory_window) if reverse else (frame - self.memory_window, frame)
        outputs = memory["non_cond_frame_outputs"]
        for t in [t for t in outputs if not lo <= t <= hi]:
            del outputs[t]

    # --- sam2 plumbing -------------------------------------------------------------------------

    def _compute(self) -> contextlib.ExitStack:
        """inference_mode, plus ``self.autocast`` (bf16 where the device has it). Both are thread-local, so each
        frame step enters them afresh, never across a yield."""
        stack = contextlib.ExitStack()
        stack.enter_context(torch.inference_mode())
        if self.autocast is not None:
            device_type, dtype = self.autocast
            stack.enter_context(torch.autocast(device_type, dtype=dtype))
        return stack

    def _encode_memory(self, s: Sam2Session, frame: int, out: dict[str, Any]) -> None:
        high_res_masks = F.interpolate(
            out["pred_masks"].to(self.device),
            size=(self.predictor.image_size, self.predictor.image_size),
            mode="bilinear",
            align_corners=False,
        )
        self._prime_features(s, frame)
        out["maskmem_features"], out["maskmem_pos_enc"] = self.predictor._run_memory_encoder(
            inference_state=s.state,
            frame_idx=frame,
            batch_size=1,
            high_res_masks=high_res_masks,
            object_score_logits=out["object_score_logits"],
            is_mask_from_pts=True,  # as sam2's preflight: what the person saw is what is remembered
        )

    def _prime_features(self, s: Sam2Session, frame: int) -> None:
        """Put a cached frame's features into sam2's one-frame feature slot."""
        cached = s.features.get(frame)
        if cached is not None:
            s.features.move_to_end(frame)
            s.state["cached_features"] = {frame: cached}

    def _harvest_features(self, s: Sam2Session) -> None:
        """Keep the features sam2 just computed in the session's LRU, slimmed: of the ~100 MB sam2
        holds per frame at 1024, ~85 MB are the FPN position encodings (256 channels up to 256x256)
        and 12 MB the normalised input image. The encodings depend only on the feature sizes (a sine
        embedding), so one copy serves every frame; the image is returned by ``_get_image_feature``
        but never read by the callers, so a zero-strided placeholder of its shape stands in."""
        slot = s.state["cached_features"]
        for frame, (image, backbone_out) in list(slot.items()):
            pos = backbone_out["vision_pos_enc"]
            shared = self._pos_enc
            if shared is None or [(p.shape, p.dtype, p.device) for p in shared] != [
                (p.shape, p.dtype, p.device) for p in pos
            ]:
                shared = self._pos_enc = list(pos)
            s.pos_enc = shared
            slim = (
                torch.zeros((1, 1, 1, 1), dtype=image.dtype, device=image.device).expand_as(image),
                {"backbone_fpn": list(backbone_out["backbone_fpn"]), "vision_pos_enc": s.pos_enc},
            )
            slot[frame] = slim
            s.features[frame] = slim
            s.features.move_to_end(frame)
        while len(s.features) > self.config.feature_cache_frames:
            s.features.popitem(last=False)

    def _point_inputs(self, s: Sam2Session, prompts: Sequence[Prompt]) -> dict[str, torch.Tensor]:
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
        size = self.predictor.image_size
        scale = torch.tensor([size / s.frames.width, size / s.frames.height], dtype=torch.float32)
        points = torch.tensor(coords, dtype=torch.float32) * scale
        return {
            "point_coords": points[None].to(self.device),
            "point_labels": torch.tensor(labels, dtype=torch.int32)[None].to(self.device),
        }

    def _mask_inputs(self, mask: np.ndarray) -> torch.Tensor:
        """A boolean source-size mask as sam2's mask input (as ``add_new_mask`` resizes it)."""
        size = self.predictor.image_size
        t = torch.from_numpy(np.ascontiguousarray(mask, dtype=np.float32))[None, None].to(self.device)
        if t.shape[-2:] != (size, size):
            t = F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
            t = (t >= 0.5).float()
        return t

    def _object_masks(self, s: Sam2Session, object_ids: list[int], outs: list[dict[str, Any]]) -> list[ObjectMask]:
        if not outs:
            return []
        logits = torch.cat([out["pred_masks"].to(self.device, non_blocking=True) for out in outs]).float()
        video_res = F.interpolate(logits, size=(s.frames.height, s.frames.width), mode="bilinear", align_corners=False)
        masks = (video_res[:, 0] > 0).cpu().numpy()
        scores = [float(torch.sigmoid(out["object_score_logits"].float()).reshape(-1)[0]) for out in outs]
        return [ObjectMask(oid, masks[i], scores[i]) for i, oid in enumerate(object_ids)]

    # --- memory accounting ---------------------------------------------------------------------

    def _measure(self, s: Sam2Session) -> None:
        s.nbytes = state_nbytes(s)

    def _enforce_budget(self, keep: Sam2Session) -> None:
        """Evict least recently used idle sessions until the cache fits its budget. The session in use
        stays even when it alone is over budget (it is what the person is working on)."""
        evicted: list[Sam2Session] = []
        with self._sessions_lock:
            if keep.media_key in self._sessions and self._sessions[keep.media_key] is keep:
                self._sessions.move_to_end(keep.media_key)
            total = sum(x.nbytes for x in self._sessions.values())
            for key, candidate in list(self._sessions.items()):
                if total <= self.config.state_cache_bytes:
                    break
                if candidate is keep or candidate.propagations:
                    continue
                del self._sessions[key]
                total -= candidate.nbytes
                evicted.append(candidate)
        for gone in evicted:
            gone.evicted = True
            logger.info(
                "Evicted the SAM 2 state of %s (%.1f MB) to stay within the state budget",
                gone.media_key,
                gone.nbytes / 2**20,
            )


def state_nbytes(s: Sam2Session) -> int:
    """Bytes a session holds: every tensor reachable from sam2's state and the feature cache (each
    storage counted once, so views and expanded tensors are not double-counted), plus the frame cache.
    The shared position encodings are a model constant and not counted."""
    seen = {(str(t.device), t.untyped_storage().data_ptr()) for t in s.pos_enc or []}
    total = 0
    stack: list[Any] = [v for k, v in s.state.items() if k != "images"]
    stack.append(list(s.features.values()))
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
    return total + s.images.nbytes


def build_sam2_engine(
    key: str,
    config_file: str,
    checkpoint: Path | None,
    settings: Settings,
    device: torch.device | None = None,
    seed: int = 0,
) -> Sam2Engine:
    """Build the predictor from a sam2 hydra config (``configs/sam2.1/...``) and a checkpoint. With no
    checkpoint the weights are random (seeded, so tests are reproducible)."""
    from sam2.build_sam import build_sam2_video_predictor

    device = device or select_device(settings.device)
    patch_sam2_connected_components()
    if device.type == "cuda" and torch.cuda.get_device_properties(device).major >= 8:
        # TF32 matmuls on Ampere and later, as sam2's notebooks enable: ~2x faster float32 parts.
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    overrides = [f"++model.image_size={settings.sam2_image_size}"] if settings.sam2_image_size else []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        predictor = build_sam2_video_predictor(
            config_file,
            str(checkpoint) if checkpoint is not None else None,
            device=str(device),
            hydra_overrides_extra=overrides,
        )
    return Sam2Engine(key, predictor, Sam2EngineConfig.from_settings(settings))


def _own(session: EngineSession) -> Sam2Session:
    if not isinstance(session, Sam2Session):
        raise ValueError(f"This session belongs to another engine ({type(session).__name__}).")
    return session


def _check_frame(s: Sam2Session, frame_index: int) -> None:
    n = s.frames.num_frames
    if not 0 <= frame_index < n:
        raise ValueError(f"Frame {frame_index} is out of range: the media has frames 0 to {n - 1}.")


def _checked_prompts(s: Sam2Session, frame_index: int, prompts: Sequence[Prompt]) -> tuple[Prompt, ...]:
    _check_frame(s, frame_index)
    for prompt in prompts:
        _check_prompt(s, prompt)
    if sum(isinstance(p, BoxPrompt) for p in prompts) > 1:
        raise ValueError("SAM 2 takes at most one box per object and frame; remove the other box.")
    return tuple(prompts)


def _checked_mask(s: Sam2Session, frame_index: int, mask: np.ndarray) -> np.ndarray:
    _check_frame(s, frame_index)
    mask = np.asarray(mask)
    if mask.shape != (s.frames.height, s.frames.width):
        shape = "x".join(str(n) for n in mask.shape[::-1])
        raise ValueError(f"The mask is {shape} pixels but the frame is {s.frames.width}x{s.frames.height}.")
    return mask.astype(bool)


def _check_prompt(s: Sam2Session, prompt: Prompt) -> None:
    w, h = s.frames.width, s.frames.height
    if isinstance(prompt, PointPrompt):
        if not all(math.isfinite(v) for v in (prompt.x, prompt.y)) or not (0 <= prompt.x <= w and 0 <= prompt.y <= h):
            raise ValueError(f"The point ({prompt.x}, {prompt.y}) is outside the {w}x{h} frame.")
    elif isinstance(prompt, BoxPrompt):
        box = (prompt.x0, prompt.y0, prompt.x1, prompt.y1)
        if not all(math.isfinite(v) for v in box) or not (
            0 <= prompt.x0 <= w and 0 <= prompt.x1 <= w and 0 <= prompt.y0 <= h and 0 <= prompt.y1 <= h
        ):
            raise ValueError(f"The box {box} is not inside the {w}x{h} frame.")
        if prompt.x1 <= prompt.x0 or prompt.y1 <= prompt.y0:
            raise ValueError(f"The box {box} is empty: (x0, y0) must be above and left of (x1, y1).")
    else:
        raise ValueError(f"Unknown prompt type {type(prompt).__name__}: use a PointPrompt or a BoxPrompt.")
