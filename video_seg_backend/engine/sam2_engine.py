"""SAM 2.1 engine over the ``sam2`` package's video predictor.

How it differs from driving ``SAM2VideoPredictor`` directly, and why:

- **Frames load lazily.** ``init_state`` would decode the whole video into float32 at 1024x1024
  (12 MB a frame). We build the ``inference_state`` dict ourselves (sam2_session.py) with a
  :class:`LazyVideoFrames` as ``images``, holding ``frame_cache_frames`` frames.
- **Frames are decoded ahead while tracking.** The next ``prefetch_frames`` frames are decoded and
  resized in a background thread while the model computes the current one, as sam2's own loader
  has every frame ready before tracking starts (~10 ms a frame at 1024, half a GPU step).
- **States live in an LRU bounded by bytes** (session_cache.py). Each session's size is measured
  from the tensors it holds (shared storages counted once); when the total passes
  ``state_cache_mb`` the least recently used idle sessions are dropped. A dropped (or never built)
  session is rebuilt by calling the service's ``replay`` callback, so nothing a person clicked is lost.
- **Key frames are a function of their own prompts.** A click is decoded as an initial conditioning
  frame (no memory of other frames), chaining the prompts in order as sam2's demo does (each step
  feeds the previous step's mask logits to the decoder). The mask therefore depends only on the
  frame and its prompt list, so a state rebuilt by replay gives the very masks the person saw.
  The cost: a correction click on a tracked frame does not use the tracking memory (sam2's
  "correction" mode); the studio re-tracks from the corrected key frame instead.
- **Frame features are cached per frame** (a small LRU): a further click on any recently clicked
  frame only runs the prompt encoder and mask decoder. sam2 keeps only the latest frame's features.
- **Small holes are filled without sam2's CUDA extension** (sam2_hole_filling.py), so masks get
  sam2.1's post-processing on any install.
- **Memory stays flat while tracking.** sam2 reads non-conditioning outputs only within
  ``(num_maskmem - 1) * stride`` frames (mask memories) and ``max_obj_ptrs_in_encoder - 1`` frames
  (object pointers) behind the current frame; older ones are dropped as tracking advances (the
  service has already persisted their masks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..core.config import Settings
from .base import EngineSession, FrameSource, ObjectMask, Prompt, ReplayFn
from .checks import (
    check_has_frames,
    own,
)
from .frames import LazyVideoFrames
from .memory_engine import MemoryEngineConfig, MemoryTrackerEngine
from .sam2_confidence import tap_sam2
from .sam2_device import Autocast, native_bf16, select_autocast, select_device
from .sam2_hole_filling import connected_components, patch_sam2_connected_components
from .sam2_inputs import mask_inputs, mask_logits, object_masks, point_inputs
from .sam2_session import Sam2Session, TurnLock, inference_state, state_nbytes
from .session_cache import SessionCache

# Names callers import from here (they lived in this module before it was split).
__all__ = [
    "Autocast",
    "Sam2Engine",
    "Sam2EngineConfig",
    "Sam2Session",
    "TurnLock",
    "build_sam2_engine",
    "connected_components",
    "native_bf16",
    "patch_sam2_connected_components",
    "select_autocast",
    "select_device",
    "state_nbytes",
]

logger = logging.getLogger(__name__)


@dataclass
class Sam2EngineConfig(MemoryEngineConfig):
    """The shared flags, and where the state lives on a GPU."""

    # Keep frames / outputs on the CPU when computing on a GPU: saves GPU memory, costs a copy per
    # frame (sam2 measured 27 -> 24 fps for a state offload at 768x768).
    offload_video_to_cpu: bool = False
    offload_state_to_cpu: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> Sam2EngineConfig:
        return cls(
            **cls.settings_fields(settings),
            offload_video_to_cpu=settings.offload_video_to_cpu,
            offload_state_to_cpu=settings.offload_state_to_cpu,
        )


class Sam2Engine(MemoryTrackerEngine[Sam2Session]):
    """SAM 2.1 video segmentation + tracking; one instance per model, shared by all sessions."""

    session_type = Sam2Session
    config: Sam2EngineConfig

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
        self._cache: SessionCache[Sam2Session] = SessionCache("SAM 2", max_bytes=lambda: self.config.state_cache_bytes)
        # FPN position encodings: a model constant (they depend only on the feature sizes), shared by
        # the feature caches of all sessions and, like the weights, not counted in any session's size.
        self._pos_enc: list[torch.Tensor] | None = None
        # Outputs sam2 reads behind the current frame while tracking (see the module docstring).
        p = predictor
        window = (p.num_maskmem - 1) * p.memory_temporal_stride_for_eval
        if p.use_obj_ptrs_in_encoder:
            window = max(window, p.max_obj_ptrs_in_encoder - 1)
        self.memory_window = window
        self._iou_tap = tap_sam2(predictor)

    # --- sessions ------------------------------------------------------------------------------

    def _build(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> Sam2Session:
        session = self._new_session(media_key, frames)
        self._replay(session, replay())
        self._measure(session)
        return session

    def _new_session(self, media_key: str, frames: FrameSource) -> Sam2Session:
        check_has_frames(media_key, frames)
        images = LazyVideoFrames(frames, self.predictor.image_size, self._video_device, self.config.frame_cache_frames)
        state = inference_state(frames, images, self.device, self._video_device, self._storage_device)
        return Sam2Session(media_key=media_key, frames=frames, images=images, state=state)

    def remove_object(self, session: EngineSession, object_id: int) -> None:
        s = own(session, Sam2Session)
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
        base: np.ndarray | None,
        encode_memory: bool,
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
        return mask_logits(mask, self.predictor.image_size, self.device)

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

    def _has_key_frame(self, s: Sam2Session, object_id: int) -> bool:
        obj_idx = s.state["obj_id_to_idx"].get(object_id)
        return obj_idx is not None and bool(
            s.state["temp_output_dict_per_obj"][obj_idx]["cond_frame_outputs"]
            or s.state["output_dict_per_obj"][obj_idx]["cond_frame_outputs"]
        )

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
        ious: list[float | None] = []
        self._prime_features(s, frame)
        for object_id in object_ids:
            obj_idx = state["obj_id_to_idx"].get(object_id)
            if obj_idx is None:
                continue  # removed by a person while tracking ran
            memory = state["output_dict_per_obj"][obj_idx]
            if not memory["cond_frame_outputs"]:
                continue  # its key frames were all cleared while tracking ran
            out = memory["cond_frame_outputs"].get(frame)
            iou: float | None = 1.0  # a key frame: what a person fixed
            if out is None:
                seed = seeds.get(object_id)
                mask_inputs = None
                if seed is not None and not self._has_memory_near(memory, frame, reverse):
                    # Cold start away from a key frame (after a restart or an eviction): the mask the
                    # database holds here becomes the most recent memory, so tracking continues from
                    # what the person sees instead of re-guessing this frame from distant key frames.
                    mask_inputs = self._mask_inputs(seed)
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
                iou = self._iou_tap.take()
                memory["non_cond_frame_outputs"][frame] = out
            self._drop_outside_window(memory, frame, reverse)
            tracked.append(object_id)
            outs.append(out)
            ious.append(iou)
        # frames_tracked_per_obj is not kept: it only serves sam2's correction mode, which we do not use
        # (a click always makes an initial conditioning frame), and it would grow with every frame.
        return object_masks(tracked, outs, s.frames, self.device, ious)

    # --- sam2 plumbing -------------------------------------------------------------------------

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
        return point_inputs(prompts, s.frames, self.predictor.image_size, self.device)

    def _mask_inputs(self, mask: np.ndarray) -> torch.Tensor:
        return mask_inputs(mask, self.predictor.image_size, self.device)

    # --- memory accounting ---------------------------------------------------------------------

    def _measure(self, s: Sam2Session) -> None:
        s.nbytes = state_nbytes(s)


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
