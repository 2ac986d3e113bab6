"""The OpenCV engine: sessions of key frames, GrabCut for clicks, optical flow for tracking.

A key frame's mask is a function of its frame and prompts (see clicks.py), computed when first
needed, so a session rebuilt by ``replay`` gives the very masks the person saw. A session holds a
lock: a click from a request thread and a propagation step of a job thread take turns per frame.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..base import Direction, EngineSession, FrameSource, ObjectMask, Prompt, ReplayFn, SegmentationEngine
from ..checks import (
    check_frame,
    check_has_frames,
    check_propagation,
    checked_mask,
    checked_prompts,
    checked_start_masks,
    own,
)
from ..session_cache import CachedSessions, SessionCache
from .clicks import Neighbours, segment_prompts, step_list
from .config import OpenCVConfig
from .motion import FrameMotion, measured_motion
from .tracking import Tracker

# Frames whose motion a session keeps for the next click on them (1.6 MB each at 854x480).
_KEPT_MOTIONS = 2


@dataclass
class _KeyFrame:
    prompts: tuple[Prompt, ...] = ()
    # Full-resolution boolean mask; None until computed from the prompts (computed lazily).
    mask: np.ndarray | None = None
    # Masks after each prompt step (see segment_prompts), so the next click costs one GrabCut.
    steps: list[np.ndarray] = field(default_factory=list)
    # The mask the prompts refine (a tracked mask a person corrected), if any.
    base: np.ndarray | None = None


@dataclass
class OpenCVSession:
    """State of one media item: its frames and the key frames of each object."""

    media_key: str
    frames: FrameSource
    # object id -> frame index -> key frame
    key_frames: dict[int, dict[int, _KeyFrame]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    nbytes: int = 0  # the key frames' masks and the kept motions (the frames belong to the caller)
    propagations: int = 0  # running propagations: a busy session is never evicted
    # frame index -> neighbour count -> the frame's motion and moving threshold (motion.py), for the
    # next click on the frame: a first click and each call with a negative click need it.
    motions: OrderedDict[int, dict[int, tuple[np.ndarray, float] | None]] = field(default_factory=OrderedDict)


def build_opencv_engine(config: OpenCVConfig | None = None) -> OpenCVEngine:
    """The OpenCV engine with the given tuning (defaults when None)."""
    return OpenCVEngine(config)


class OpenCVEngine(CachedSessions[OpenCVSession], SegmentationEngine):
    """GrabCut clicks + optical-flow tracking; see clicks.py and tracking.py."""

    key = "opencv"

    def __init__(self, config: OpenCVConfig | None = None) -> None:
        self.config = config or OpenCVConfig()
        self._cache: SessionCache[OpenCVSession] = SessionCache("OpenCV", max_sessions=lambda: self.config.max_sessions)

    # -- sessions -----------------------------------------------------------------------------

    def _build(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> OpenCVSession:
        check_has_frames(media_key, frames)
        built = OpenCVSession(media_key=media_key, frames=frames)
        for key_frame in replay():
            check_frame(frames, key_frame.frame_index)
            per_object = built.key_frames.setdefault(key_frame.object_id, {})
            if key_frame.prompts:
                prompts = checked_prompts(frames, key_frame.frame_index, key_frame.prompts)
                base = None if key_frame.mask is None else checked_mask(frames, key_frame.mask)
                per_object[key_frame.frame_index] = _KeyFrame(prompts=prompts, base=base)
            elif key_frame.mask is not None:
                per_object[key_frame.frame_index] = _KeyFrame(mask=checked_mask(frames, key_frame.mask))
        _measure(built)
        return built

    # -- key frames ---------------------------------------------------------------------------

    def segment(
        self,
        session: EngineSession,
        frame_index: int,
        object_id: int,
        prompts: Sequence[Prompt],
        base_mask: np.ndarray | None = None,
    ) -> ObjectMask:
        s = own(session, OpenCVSession)
        prompts = checked_prompts(s.frames, frame_index, prompts)
        base = None if base_mask is None else checked_mask(s.frames, base_mask)
        if not prompts:
            with s.lock:
                s.key_frames.get(object_id, {}).pop(frame_index, None)
                _measure(s)
            return ObjectMask(object_id, np.zeros((s.frames.height, s.frames.width), bool), 0.0)
        with s.lock:
            before = s.key_frames.get(object_id, {}).get(frame_index)
        known = _known_steps(before, prompts, base)
        # GrabCut runs outside the lock: it only reads the frame, so propagation is not held up.
        rgb = s.frames.read_rgb(frame_index)
        neighbours = self._neighbours(s.frames, frame_index)
        steps = segment_prompts(
            rgb, prompts, self.config, known, base, neighbours, self._motion(s, frame_index, rgb, neighbours)
        )
        mask = steps[-1]
        with s.lock:
            s.key_frames.setdefault(object_id, {})[frame_index] = _KeyFrame(prompts, mask, steps, base)
            _measure(s)
        # GrabCut gives no calibrated confidence: the score only says whether anything was found.
        return ObjectMask(object_id, mask.copy(), float(mask.any()))

    def set_mask(self, session: EngineSession, frame_index: int, object_id: int, mask: np.ndarray) -> None:
        s = own(session, OpenCVSession)
        check_frame(s.frames, frame_index)
        checked = checked_mask(s.frames, mask)
        with s.lock:
            s.key_frames.setdefault(object_id, {})[frame_index] = _KeyFrame(mask=checked)
            _measure(s)

    def remove_object(self, session: EngineSession, object_id: int) -> None:
        s = own(session, OpenCVSession)
        with s.lock:
            s.key_frames.pop(object_id, None)
            _measure(s)

    def _key_frame_mask(self, s: OpenCVSession, object_id: int, frame_index: int) -> np.ndarray | None:
        """The key-frame mask of the object on that frame (computing it from prompts), or None."""
        with s.lock:
            key_frame = s.key_frames.get(object_id, {}).get(frame_index)
        if key_frame is None:
            return None
        if key_frame.mask is None:
            rgb = s.frames.read_rgb(frame_index)
            neighbours = self._neighbours(s.frames, frame_index)
            steps = segment_prompts(
                rgb,
                key_frame.prompts,
                self.config,
                base=key_frame.base,
                neighbours=neighbours,
                motion=self._motion(s, frame_index, rgb, neighbours),
            )
            mask = steps[-1]
            with s.lock:
                # Only store it if the prompts were not changed meanwhile.
                if s.key_frames.get(object_id, {}).get(frame_index) is key_frame:
                    key_frame.mask, key_frame.steps = mask, steps
                    _measure(s)
            return mask
        return key_frame.mask

    def _neighbours(self, frames: FrameSource, frame_index: int) -> Neighbours:
        """The frames after ``frame_index`` a box alone or a first click looks at for motion (before
        it, at a video's end; none for a photo), read only when asked for, as many as asked."""

        def read(wanted: int) -> list[tuple[int, np.ndarray]]:
            after = [k for k in range(1, wanted + 1) if frame_index + k < frames.num_frames]
            before = [-k for k in range(1, wanted - len(after) + 1) if frame_index - k >= 0]
            return [(k, frames.read_rgb(frame_index + k)) for k in after + before]

        return read

    def _motion(self, s: OpenCVSession, frame_index: int, rgb: np.ndarray, neighbours: Neighbours) -> FrameMotion:
        """The frame's motion against its next n frames, kept in the session for the next click on
        the frame (the last ``_KEPT_MOTIONS`` frames clicked on): a negative click after the first
        one costs no flow. The same frames give the same motion, so keeping it changes no mask; the
        caller measures the session's bytes when it stores the key frame."""
        with s.lock:
            kept = s.motions.pop(frame_index, {})
            s.motions[frame_index] = kept  # the most recent last
            while len(s.motions) > _KEPT_MOTIONS:
                s.motions.popitem(last=False)
        return measured_motion(rgb, neighbours, self.config, kept)

    # -- tracking -----------------------------------------------------------------------------

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
        s = own(session, OpenCVSession)
        check_propagation(s.frames, start_frame, direction, max_frames)
        checked = checked_start_masks(s.frames, start_masks)
        pairs = {frozenset(p) for p in may_overlap or ()}
        return self._propagate(s, list(object_ids), start_frame, direction, max_frames, checked, pairs)

    def _propagate(
        self,
        s: OpenCVSession,
        object_ids: list[int],
        start_frame: int,
        direction: Direction,
        max_frames: int | None,
        start_masks: dict[int, np.ndarray],
        may_overlap: set[frozenset[int]],
    ) -> Iterator[tuple[int, list[ObjectMask]]]:
        step = 1 if direction == "forward" else -1
        last = s.frames.num_frames - 1 if step == 1 else 0
        count = abs(last - start_frame)
        if max_frames is not None:
            count = min(count, max_frames)
        tracker = Tracker(s.frames.height, s.frames.width, self.config)
        # Pairs that may share pixels: those the caller names (a part and its object), and those
        # whose masks overlap where tracking starts or on a frame where both have key masks.
        tracker.may_overlap = may_overlap

        with self._cache.propagating(s):
            # One frame step at a time under the session lock, never across a yield.
            with s.lock:
                rgb = s.frames.read_rgb(start_frame)
                tracker.start(rgb)
                masks = []
                for object_id in object_ids:
                    full = start_masks.get(object_id)
                    if full is None:
                        full = self._key_frame_mask(s, object_id, start_frame)
                    if full is None:
                        full = np.zeros((s.frames.height, s.frames.width), bool)
                    tracker.set_mask(object_id, full)
                    masks.append(ObjectMask(object_id, full.copy(), 1.0, 1.0))
                tracker.allow_overlaps(object_ids)
            yield start_frame, masks

            for i in range(1, count + 1):
                frame_index = start_frame + i * step
                with s.lock:
                    rgb = s.frames.read_rgb(frame_index)
                    tracker.advance(rgb)
                    keyed: dict[int, np.ndarray] = {}
                    tracked = {}
                    for object_id in object_ids:
                        key_mask = self._key_frame_mask(s, object_id, frame_index)
                        if key_mask is not None:
                            # A key frame is what a person fixed: take it as is and track on from it.
                            tracker.set_mask(object_id, key_mask)
                            keyed[object_id] = key_mask
                        else:
                            tracked[object_id] = tracker.track(object_id)
                    if len(keyed) > 1:
                        tracker.allow_overlaps(list(keyed))
                    # Objects that were apart stay apart (apart.py).
                    tracked = tracker.separate(tracked, list(keyed))
                    masks = []
                    for object_id in object_ids:
                        if object_id in keyed:
                            masks.append(ObjectMask(object_id, keyed[object_id].copy(), 1.0, 1.0))
                        else:
                            t = tracked[object_id]
                            masks.append(ObjectMask(object_id, t.mask, t.score, t.confidence, t.refound, t.left_view))
                yield frame_index, masks


def _measure(s: OpenCVSession) -> None:
    """Bytes of the session's key-frame masks and kept motions (called under the session lock)."""
    total = 0
    for per_object in s.key_frames.values():
        for key_frame in per_object.values():
            arrays = [key_frame.mask, key_frame.base, *key_frame.steps]
            total += sum(a.nbytes for a in arrays if a is not None)
    for per_frame in s.motions.values():
        total += sum(kept[0].nbytes for kept in list(per_frame.values()) if kept is not None)
    s.nbytes = total


def _known_steps(before: _KeyFrame | None, prompts: Sequence[Prompt], base: np.ndarray | None) -> list[np.ndarray]:
    """The step masks of ``before`` that still hold for ``prompts`` and ``base`` (common first steps)."""
    if before is None or not before.steps:
        return []
    same_base = (before.base is None and base is None) or (
        before.base is not None and base is not None and np.array_equal(before.base, base)
    )
    if not same_base:
        return []
    common = 0
    for old, new in zip(step_list(before.prompts), step_list(prompts), strict=False):
        if old != new:
            break
        common += 1
    return before.steps[:common]
