"""One confidence in [0, 1] from the engine's own and the track's cues.

A product of powers: each cue can only lower the confidence, and an exponent of 0 leaves a cue out.
The defaults were set before measuring and stay for SAM 2 and EdgeTAM, whose confidence (predicted
IoU, object score) says nothing of the track. The OpenCV engine's confidence already asks what the
track cues ask (is the mask's size what the object's motion made it, do its colours still match
the key frame's, does its flow round-trip), and on its tracks of the shared DAVIS sequences it
ranks the bad frames better alone: chosen between the two by cross-validation (leave-one-out and
two folds), alone every time (scripts/eval_review_queue.py prints the figures).
"""

from __future__ import annotations

from dataclasses import dataclass

from .cues import FrameCues


@dataclass(frozen=True)
class Weights:
    engine: float = 1.0  # exponent on the engine's confidence
    area: float = 1.0  # on the frame-to-frame area ratio
    shape: float = 1.0  # on the frame-to-frame centred shape IoU
    key_area: float = 0.5  # on the area ratio to the key frame's mask
    half_life: float = 0.0  # frames from the key frame that halve the confidence; 0: no decay
    empty: float = 0.1  # the confidence of an empty mask where the key frame had the object


DEFAULT_WEIGHTS = Weights()
ENGINE_ALONE = Weights(engine=1.0, area=0.0, shape=0.0, key_area=0.0, half_life=0.0)
# Engines (SegmentationEngine.key) whose own confidence is used alone.
_ENGINE_WEIGHTS = {"opencv": ENGINE_ALONE}


def weights_for(engine_key: str) -> Weights:
    """The weights for masks tracked by the engine ``engine_key``."""
    return _ENGINE_WEIGHTS.get(engine_key, DEFAULT_WEIGHTS)


def combine(cues: FrameCues, weights: Weights = DEFAULT_WEIGHTS) -> float:
    """The mask's confidence: 1 for a mask nothing speaks against, towards 0 as cues disagree."""
    if cues.empty:
        return weights.empty
    value = 1.0
    if cues.engine is not None and weights.engine:
        value *= max(0.0, min(1.0, cues.engine)) ** weights.engine
    if weights.area:
        value *= cues.area_ratio**weights.area
    if weights.shape:
        value *= cues.shape_iou**weights.shape
    if weights.key_area:
        value *= cues.key_area_ratio**weights.key_area
    if weights.half_life > 0:
        value *= 0.5 ** (cues.key_distance / weights.half_life)
    return float(max(0.0, min(1.0, value)))
