"""EdgeTAM engine over ``transformers``' ``EdgeTamVideoModel`` and its video inference session.

EdgeTAM (Meta, CVPR 2025) is SAM 2 with a RepViT-M1 image encoder (through timm) and a 2D spatial
perceiver that compresses each memory frame: the same prompts and memory, a fraction of the compute
(4.6x SAM 2.1 tiny on a 2-core CPU, scripts/bench_engine.py). The model, its session and its processor
are transformers' own; this module drives them the way the SAM 2 engine drives ``sam2``:

- **Frames load lazily** (edgetam_session.py): the session's ``processed_frames`` decodes on access.
- **Key frames are a function of their own prompts.** A click is decoded as an initial conditioning
  frame (no memory of other frames) from all the prompts of that object on that frame, given to the
  processor at once; so a state rebuilt by replay gives the very masks the person saw. The model's
  ``forward`` would run every object of the session on the clicked frame (and decode a click on a
  tracked frame with the tracking memory), so each object is run on its own, through the model's
  ``_run_single_frame_inference`` step, as ``forward`` itself does per object.
- **A click does not encode its memory.** The memory encoder costs as much as the decoder on a CPU;
  a key frame's memory is encoded when tracking first needs it (or at replay, while its features are
  at hand), so a click costs the image encoder (new frames only) and the decoder.
- **States live in the shared LRU bounded by bytes** (session_cache.py), measured from their tensors.
- **Memory stays flat while tracking.** The model reads tracked outputs only within
  ``num_maskmem - 1`` frames (mask memories) and ``max_object_pointers_in_encoder - 1`` frames
  (object pointers) behind the current frame; older ones are dropped as tracking advances.
- **bf16 autocast where the device has it natively** (sam2_device.py), as the SAM 2 engine does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..core.config import Settings
from .base import (
    BoxPrompt,
    EngineSession,
    FrameSource,
    ObjectMask,
    PointPrompt,
    Prompt,
    ReplayFn,
)
from .checks import (
    check_has_frames,
    own,
)
from .edgetam_session import EdgeTamSession, SharedFeatureCache, new_inference_session, state_nbytes
from .frames import LazyVideoFrames
from .memory_engine import MemoryEngineConfig, MemoryTrackerEngine
from .sam2_confidence import tap_edgetam
from .sam2_device import Autocast, select_autocast, select_device
from .sam2_inputs import mask_inputs, mask_logits, object_masks
from .session_cache import SessionCache

logger = logging.getLogger(__name__)


@dataclass
class EdgeTamEngineConfig(MemoryEngineConfig):
    """The shared flags (memory_engine.py), with EdgeTAM's sizes."""

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgeTamEngineConfig:
        return cls(**cls.settings_fields(settings))


class EdgeTamEngine(MemoryTrackerEngine[EdgeTamSession]):
    """EdgeTAM video segmentation + tracking; one instance per model, shared by all sessions."""

    session_type = EdgeTamSession
    config: EdgeTamEngineConfig

    def __init__(self, key: str, model: Any, processor: Any, config: EdgeTamEngineConfig | None = None) -> None:
        self.key = key
        self.model = model
        self.processor = processor
        self.config = config or EdgeTamEngineConfig()
        self.device: torch.device = next(model.parameters()).device
        self.image_size = int(model.config.image_size)
        self.autocast: Autocast | None = select_autocast(self.device, self.config.precision)
        self._cache: SessionCache[EdgeTamSession] = SessionCache(
            "EdgeTAM", max_bytes=lambda: self.config.state_cache_bytes
        )
        # The FPN position encodings: one copy for every cached frame of every session.
        self._pos_enc: list[list[torch.Tensor]] = []
        cfg = model.config
        self.memory_window = max(cfg.num_maskmem - 1, cfg.max_object_pointers_in_encoder - 1)
        self._iou_tap = tap_edgetam(model)

    # --- sessions ------------------------------------------------------------------------------

    def _build(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> EdgeTamSession:
        check_has_frames(media_key, frames)
        images = LazyVideoFrames(frames, self.image_size, self.device, self.config.frame_cache_frames)
        cache = SharedFeatureCache(self.config.feature_cache_frames, self.device, self._pos_enc)
        state = new_inference_session(frames, images, self.device, cache)
        session = EdgeTamSession(media_key=media_key, frames=frames, images=images, state=state, cache=cache)
        self._replay(session, replay())
        self._measure(session)
        return session

    # --- clicks --------------------------------------------------------------------------------

    def remove_object(self, session: EngineSession, object_id: int) -> None:
        """Drop the object's prompts and outputs. transformers' session has no removal (its object
        indices are positions), so the emptied index stays; nothing tracks an object without key frames."""
        s = own(session, EdgeTamSession)
        with s.lock.interactive():
            obj_idx = s.state._obj_id_to_idx.get(object_id)
            if obj_idx is not None:
                s.state.point_inputs_per_obj[obj_idx].clear()
                s.state.mask_inputs_per_obj[obj_idx].clear()
                s.state.frames_tracked_per_obj[obj_idx].clear()
                for outputs in s.state.output_dict_per_obj[obj_idx].values():
                    outputs.clear()
            self._measure(s)

    def _decode_prompts(
        self,
        s: EdgeTamSession,
        frame: int,
        object_id: int,
        prompts: tuple[Prompt, ...],
        base: np.ndarray | None,
        encode_memory: bool,
    ) -> dict[str, Any]:
        """Decode all ``prompts`` of the object on ``frame`` at once, as an initial conditioning frame
        (``base``: the tracked mask the prompts correct, given to the decoder as the previous mask).
        A click leaves its memory to be encoded when tracking needs it: half the cost of a click."""
        points = [p for p in prompts if isinstance(p, PointPrompt)]
        boxes = [p for p in prompts if isinstance(p, BoxPrompt)]
        inputs: dict[str, Any] = {}
        if points:
            inputs["input_points"] = [[[[p.x, p.y] for p in points]]]
            inputs["input_labels"] = [[[1 if p.positive else 0 for p in points]]]
        if boxes:
            inputs["input_boxes"] = [[[b.x0, b.y0, b.x1, b.y1] for b in boxes]]
        state = s.state
        self.processor.add_inputs_to_inference_session(
            inference_session=state, frame_idx=frame, obj_ids=object_id, clear_old_inputs=True, **inputs
        )
        obj_idx = state.obj_id_to_idx(object_id)
        previous = None if base is None else mask_logits(base, self.image_size, self.device)
        out = self.model._run_single_frame_inference(
            inference_session=state,
            frame_idx=frame,
            obj_idx=obj_idx,
            batch_size=1,
            is_init_cond_frame=True,
            point_inputs=state.point_inputs_per_obj[obj_idx][frame],
            mask_inputs=None,
            reverse=False,
            run_mem_encoder=False,
            prev_sam_mask_logits=previous,
        )
        stored = self._store_key_frame(s, obj_idx, frame, out)
        if encode_memory:
            self._encode_memory(s, frame, stored)
        return stored

    def _decode_mask(
        self, s: EdgeTamSession, frame: int, object_id: int, mask: np.ndarray, encode_memory: bool
    ) -> dict[str, Any]:
        """A mask key frame's memory is always encoded: the step costs little more with it."""
        state = s.state
        self.processor.add_inputs_to_inference_session(
            inference_session=state, frame_idx=frame, obj_ids=object_id, input_masks=mask
        )
        obj_idx = state.obj_id_to_idx(object_id)
        out = self.model._run_single_frame_inference(
            inference_session=state,
            frame_idx=frame,
            obj_idx=obj_idx,
            batch_size=1,
            is_init_cond_frame=True,
            point_inputs=None,
            mask_inputs=state.mask_inputs_per_obj[obj_idx][frame],
            reverse=False,
            run_mem_encoder=True,
        )
        return self._store_key_frame(s, obj_idx, frame, out)

    def _store_key_frame(self, s: EdgeTamSession, obj_idx: int, frame: int, out: dict[str, Any]) -> dict[str, Any]:
        state = s.state
        state.store_output(obj_idx, frame, output_value=out, is_conditioning_frame=True)
        state.output_dict_per_obj[obj_idx]["non_cond_frame_outputs"].pop(frame, None)
        state.frames_tracked_per_obj[obj_idx].pop(frame, None)
        state.obj_with_new_inputs = []  # consumed here; the model's forward is not used
        return state.output_dict_per_obj[obj_idx]["cond_frame_outputs"][frame]  # type: ignore[no-any-return]

    def _clear_key_frame(self, s: EdgeTamSession, frame: int, object_id: int) -> None:
        state = s.state
        obj_idx = state._obj_id_to_idx.get(object_id)
        if obj_idx is None:
            return
        state.remove_point_inputs(obj_idx, frame)
        state.remove_mask_inputs(obj_idx, frame)
        for outputs in state.output_dict_per_obj[obj_idx].values():
            outputs.pop(frame, None)

    # --- tracking ------------------------------------------------------------------------------

    def _has_key_frame(self, s: EdgeTamSession, object_id: int) -> bool:
        obj_idx = s.state._obj_id_to_idx.get(object_id)
        return obj_idx is not None and bool(s.state.output_dict_per_obj[obj_idx]["cond_frame_outputs"])

    def _track_frame(
        self, s: EdgeTamSession, object_ids: list[int], frame: int, reverse: bool, seeds: dict[int, np.ndarray]
    ) -> list[ObjectMask]:
        state = s.state
        tracked: list[int] = []
        outs: list[dict[str, Any]] = []
        ious: list[float | None] = []
        for object_id in object_ids:
            obj_idx = state._obj_id_to_idx.get(object_id)
            if obj_idx is None:
                continue
            memory = state.output_dict_per_obj[obj_idx]
            if not memory["cond_frame_outputs"]:
                continue  # removed, or its key frames cleared, while tracking ran
            for key_frame, key_out in sorted(memory["cond_frame_outputs"].items()):
                if key_out["maskmem_features"] is None:  # clicked since the last step
                    self._encode_memory(s, key_frame, key_out)
            out = memory["cond_frame_outputs"].get(frame)
            iou: float | None = 1.0  # a key frame: what a person fixed
            if out is None:
                seed = seeds.get(object_id)
                seed_inputs = None
                if seed is not None and not self._has_memory_near(memory, frame, reverse):
                    # Cold start away from a key frame (after a restart or an eviction): the mask the
                    # database holds here becomes the most recent memory, as in the SAM 2 engine.
                    seed_inputs = mask_inputs(seed, self.image_size, self.device)
                step = self.model._run_single_frame_inference(
                    inference_session=state,
                    frame_idx=frame,
                    obj_idx=obj_idx,
                    batch_size=1,
                    is_init_cond_frame=False,
                    point_inputs=None,
                    mask_inputs=seed_inputs,
                    reverse=reverse,
                    run_mem_encoder=True,
                )
                iou = self._iou_tap.take()
                state.store_output(obj_idx, frame, output_value=step, is_conditioning_frame=False)
                out = memory["non_cond_frame_outputs"][frame]
            self._drop_outside_window(memory, frame, reverse)
            tracked.append(object_id)
            outs.append(out)
            ious.append(iou)
        return object_masks(tracked, outs, s.frames, self.device, ious)

    def _encode_memory(self, s: EdgeTamSession, frame: int, out: dict[str, Any]) -> None:
        """The memory of a clicked key frame, as the model's step would have encoded it (the decoded
        mask, upsampled to the input size and binarised: what the person saw is what is remembered)."""
        if out["maskmem_features"] is not None:
            return
        feats, _ = self.model._prepare_vision_features(s.state, frame, 1)
        high_res = F.interpolate(
            out["pred_masks"].to(self.device),
            size=(self.image_size, self.image_size),
            mode="bilinear",
            align_corners=False,
        )
        out["maskmem_features"], out["maskmem_pos_enc"] = self.model._encode_new_memory(
            current_vision_feats=feats[-1],
            pred_masks_high_res=high_res,
            object_score_logits=out["object_score_logits"],
            is_mask_from_pts=True,
        )

    # --- plumbing ------------------------------------------------------------------------------

    def _measure(self, s: EdgeTamSession) -> None:
        s.nbytes = state_nbytes(s)


def edgetam_config(image_size: int = 1024) -> Any:
    """EdgeTAM's architecture at ``image_size`` (1024 is the published model): a RepViT-M1 backbone
    through timm. transformers 5.25's default vision config misspells the timm architecture key
    ("archirecture") and silently builds a ResNet-50, so the backbone is given explicitly."""
    from transformers import EdgeTamVideoConfig, EdgeTamVisionConfig, TimmWrapperConfig

    if image_size % 64:
        raise ValueError(f"EdgeTAM's input size must be a multiple of 64, got {image_size}.")
    backbone = TimmWrapperConfig(
        architecture="repvit_m1",
        model_args={"in_chans": 3, "features_only": True, "out_indices": [0, 1, 2, 3]},
    )
    sizes = [[image_size // 4] * 2, [image_size // 8] * 2, [image_size // 16] * 2]
    vision = EdgeTamVisionConfig(backbone_config=backbone, backbone_feature_sizes=sizes)
    return EdgeTamVideoConfig(
        vision_config=vision,
        image_size=image_size,
        prompt_encoder_config={"image_size": image_size},
        memory_attention_rope_feat_sizes=sizes[-1],
    )


def edgetam_processor(image_size: int) -> Any:
    """transformers' processor for prompts and masks, scaled to the model's input size (frames are
    resized by :class:`LazyVideoFrames`, so the processor's image settings are never used)."""
    from transformers import Sam2ImageProcessor, Sam2VideoProcessor, Sam2VideoVideoProcessor

    size = {"height": image_size, "width": image_size}
    return Sam2VideoProcessor(
        image_processor=Sam2ImageProcessor(size=size),
        video_processor=Sam2VideoVideoProcessor(size=size),
        target_size=image_size,
    )


def build_edgetam_engine(
    key: str,
    weights: Path | None,
    settings: Settings,
    device: torch.device | None = None,
    seed: int = 0,
) -> EdgeTamEngine:
    """Load EdgeTAM from a local folder in transformers' format (config.json, model.safetensors);
    with no folder the weights are random (seeded), at ``settings.sam2_image_size`` or 1024."""
    from transformers import EdgeTamVideoModel

    device = device or select_device(settings.device)
    if weights is None:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = EdgeTamVideoModel(edgetam_config(settings.sam2_image_size or 1024))
    else:
        model = EdgeTamVideoModel.from_pretrained(str(weights), local_files_only=True)
    model = model.eval().to(device)
    return EdgeTamEngine(
        key, model, edgetam_processor(int(model.config.image_size)), EdgeTamEngineConfig.from_settings(settings)
    )
