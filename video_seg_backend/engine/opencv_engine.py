"""A weight-free engine on OpenCV: GrabCut for clicks, optical flow + colour models for tracking.

It needs no checkpoint and no GPU, so a fresh offline machine can annotate a video end to end.
Quality is well below SAM 2 (it sees colour and motion, not objects), but a person can correct it
with key frames, which it honours exactly.

- ``segment``: each prompt is a step that refines the mask of the step before, as a person's clicks
  do. A box is a classic GrabCut rectangle. A first click with no box seeds a small disk that
  GrabCut grows by colour. A later click paints the error region it lands in (sure foreground for a
  positive click, sure background for a negative one, as far as half its distance to the previous
  boundary) and GrabCut re-runs near the previous mask and the click only.
- ``propagate``: DIS optical flow from each frame back to the previous one warps the previous mask
  onto the new frame; a forward-backward check takes the vote away from pixels whose flow does not
  round-trip (uncovered background); those pixels take the mask moved by the object's own motion (a
  similarity fitted with RANSAC to the flow that did round-trip), so fast, blurred parts are not
  dropped and the mask follows the object's scale; and in a band around the warped boundary a colour posterior
  (object histogram from the key frame and recent frames against nearby background, and against the
  background around the band on the frame itself) snaps the boundary back to the object, so flow
  errors do not pile up; where the flow failed its round trip, colour has the larger say. Work is
  done on a frame scaled down to ``track_max_side``; masks are scaled back up.

Every call is deterministic (OpenCV's RNG is re-seeded before each GrabCut). A session holds a
lock: a click from a request thread and a propagation step of a job thread take turns per frame.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from .base import (
    BoxPrompt,
    Direction,
    EngineSession,
    FrameSource,
    ObjectMask,
    PointPrompt,
    Prompt,
    ReplayFn,
    SegmentationEngine,
)

# GC_* labels of cv2.grabCut's mask.
_BG, _FG, _PR_BG, _PR_FG = cv2.GC_BGD, cv2.GC_FGD, cv2.GC_PR_BGD, cv2.GC_PR_FGD


@dataclass
class OpenCVConfig:
    """Tuning flags; each says what it costs."""

    # GrabCut for a click runs on the region of interest scaled so its longer side is at most this:
    # larger is sharper at the boundary, and GrabCut time grows with the pixel count.
    segment_max_side: int = 400
    # GrabCut iterations for a click: each one re-fits the colour models (~linear in time).
    segment_iterations: int = 5
    # Margin of background around what is known of the object (points, box, mask) that GrabCut
    # sees, as a fraction of the frame's longer side. Larger lets a mask grow further in one click.
    point_region_fraction: float = 0.15
    # First click with no box: radius of the disk around it taken as probably the object, as a
    # fraction of the frame's longer side; GrabCut then grows or shrinks it by colour.
    seed_region_fraction: float = 0.04
    # First click: flood fill of like colour (Lab distance per channel) to size the object. Larger
    # tolerance grows the seed over shading but risks the background; the shares bound what is
    # believed (a speck, or a fill spilling over the frame, falls back to the click disc).
    colour_region_tolerance: int = 10
    colour_region_min_share: float = 0.0005
    colour_region_max_share: float = 0.35
    colour_region_max_side: int = 320
    # A correction click may change the mask only this far (fraction of the frame's longer side)
    # from the mask before it, or twice as far from the click: larger fixes bigger misses in one
    # click but lets GrabCut leak into look-alike background.
    reach_fraction: float = 0.04
    # Radius of a click's sure stroke, as a fraction of the frame's longer side.
    stroke_fraction: float = 0.008
    # Tracking works on the frame scaled so its longer side is at most this; masks are scaled back
    # up. Time grows with the pixel count; smaller loses thin parts and boundary accuracy.
    track_max_side: int = 360
    # Optical flow runs on the frame scaled so its longer side is at most this (DIS at its finest
    # level): ~30 ms a frame at 360x203 on one core; larger follows small parts better, slower.
    flow_max_side: int = 360
    # DIS optical flow preset (ULTRAFAST, FAST, MEDIUM): each step up is ~2-3x the time.
    flow_preset: int = cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST
    # Forward-backward flow check: a round trip that misses by more than this many flow pixels
    # (plus 10% of the motion) marks the pixel unreliable. Costs a second flow computation.
    flow_tolerance: float = 3.0
    # Warped-mask value allowed on unreliable pixels (0.5 = no opinion, lower leans to background).
    unreliable_prior: float = 0.25
    # Fewest round-trip-checked flow vectors inside the object (sampled every other pixel) to fit
    # its motion (a similarity) for the parts where per-pixel flow fails; fewer keep the last one.
    motion_min_points: int = 20
    # Uncertain band around the warped boundary, as a fraction of sqrt(object area) (plus 2 px):
    # wider recovers larger flow errors and also lets the mask leak into look-alike background.
    band_fraction: float = 0.12
    # Spread colour histograms to neighbouring bins (~1 ms a frame): helps sparse histograms of
    # small objects, but blurs apart close colours (blackswan J 0.89 -> 0.70 with it on).
    colour_smoothing: bool = False
    # Weight of the warped mask against the colour model in the band (1 = flow only).
    flow_weight: float = 0.35
    # The same weight where the flow failed its round trip (fast, blurred, articulated parts such
    # as a running dog's legs, where the mask was moved by the object's overall motion, a guess):
    # there colour decides. Costs nothing; lower recovers more of such parts (dog-agility J&F
    # 0.52 -> 0.64 at 0.1) and lets colour leak into look-alike background that the flow cannot
    # rule out (motocross-jump 0.65 -> 0.61 at 0.1, unless fresh_background_weight catches it).
    unreliable_flow_weight: float = 0.1
    # Background colours seen on the current frame around the object, beyond the band, count as
    # background at least this much (0 = only the running background model): scenery that comes
    # into view (trees below a jumping motorbike) is then known at once instead of being taken
    # for the object and leaked into. One more histogram and dilation a frame (~1 ms at 360 px).
    fresh_background_weight: float = 0.5
    # Weight of the key frame's object colours in the object's colour model (1 = never adapts).
    key_colour_weight: float = 0.5
    # How fast the colour models follow the tracked frames (0 = keep the key frame's).
    colour_update_rate: float = 0.1
    # A refined mask whose area differs from the warped one by more than this ratio is distrusted
    # and the warped mask is kept (the colour model leaked into background or lost the object).
    max_area_ratio: float = 2.0
    # Sessions kept in memory (LRU); an evicted one is rebuilt from ``replay``.
    max_sessions: int = 8


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


def build_opencv_engine(config: OpenCVConfig | None = None) -> OpenCVEngine:
    """The OpenCV engine with the given tuning (defaults when None)."""
    return OpenCVEngine(config)


class OpenCVEngine(SegmentationEngine):
    """GrabCut clicks + optical-flow tracking; see the module docstring."""

    key = "opencv"

    def __init__(self, config: OpenCVConfig | None = None) -> None:
        self.config = config or OpenCVConfig()
        self._sessions: OrderedDict[str, OpenCVSession] = OrderedDict()
        self._sessions_lock = threading.Lock()

    # -- sessions -----------------------------------------------------------------------------

    def session(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> OpenCVSession:
        with self._sessions_lock:
            cached = self._sessions.get(media_key)
            if cached is not None:
                self._sessions.move_to_end(media_key)
                return cached
        built = OpenCVSession(media_key=media_key, frames=frames)
        for key_frame in replay():
            _check_frame(built, key_frame.frame_index)
            per_object = built.key_frames.setdefault(key_frame.object_id, {})
            if key_frame.prompts:
                for prompt in key_frame.prompts:
                    _check_prompt(built, prompt)
                base = None if key_frame.mask is None else _checked_mask(built, key_frame.mask)
                per_object[key_frame.frame_index] = _KeyFrame(prompts=tuple(key_frame.prompts), base=base)
            elif key_frame.mask is not None:
                per_object[key_frame.frame_index] = _KeyFrame(mask=_checked_mask(built, key_frame.mask))
        with self._sessions_lock:
            # Another thread may have built it meanwhile: keep the first, so both share one lock.
            existing = self._sessions.setdefault(media_key, built)
            self._sessions.move_to_end(media_key)
            while len(self._sessions) > self.config.max_sessions:
                self._sessions.popitem(last=False)
            return existing

    def forget(self, media_key: str) -> None:
        with self._sessions_lock:
            self._sessions.pop(media_key, None)

    # -- key frames ---------------------------------------------------------------------------

    def segment(
        self,
        session: EngineSession,
        frame_index: int,
        object_id: int,
        prompts: Sequence[Prompt],
        base_mask: np.ndarray | None = None,
    ) -> ObjectMask:
        s = _own(session)
        _check_frame(s, frame_index)
        for prompt in prompts:
            _check_prompt(s, prompt)
        base = None if base_mask is None else _checked_mask(s, base_mask)
        if not prompts:
            with s.lock:
                s.key_frames.get(object_id, {}).pop(frame_index, None)
            return ObjectMask(object_id, np.zeros((s.frames.height, s.frames.width), bool), 0.0)
        with s.lock:
            before = s.key_frames.get(object_id, {}).get(frame_index)
        known = _known_steps(before, prompts, base)
        # GrabCut runs outside the lock: it only reads the frame, so propagation is not held up.
        steps = segment_prompts(s.frames.read_rgb(frame_index), prompts, self.config, known, base)
        mask = steps[-1]
        with s.lock:
            s.key_frames.setdefault(object_id, {})[frame_index] = _KeyFrame(tuple(prompts), mask, steps, base)
        # GrabCut gives no calibrated confidence: the score only says whether anything was found.
        return ObjectMask(object_id, mask.copy(), float(mask.any()))

    def set_mask(self, session: EngineSession, frame_index: int, object_id: int, mask: np.ndarray) -> None:
        s = _own(session)
        _check_frame(s, frame_index)
        checked = _checked_mask(s, mask)
        with s.lock:
            s.key_frames.setdefault(object_id, {})[frame_index] = _KeyFrame(mask=checked)

    def remove_object(self, session: EngineSession, object_id: int) -> None:
        s = _own(session)
        with s.lock:
            s.key_frames.pop(object_id, None)

    def _key_frame_mask(self, s: OpenCVSession, object_id: int, frame_index: int) -> np.ndarray | None:
        """The key-frame mask of the object on that frame (computing it from prompts), or None."""
        with s.lock:
            key_frame = s.key_frames.get(object_id, {}).get(frame_index)
        if key_frame is None:
            return None
        if key_frame.mask is None:
            steps = segment_prompts(s.frames.read_rgb(frame_index), key_frame.prompts, self.config, base=key_frame.base)
            mask = steps[-1]
            with s.lock:
                # Only store it if the prompts were not changed meanwhile.
                if s.key_frames.get(object_id, {}).get(frame_index) is key_frame:
                    key_frame.mask, key_frame.steps = mask, steps
            return mask
        return key_frame.mask

    # -- tracking -----------------------------------------------------------------------------

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
            raise ValueError(f"direction must be 'forward' or 'backward', not {direction!r}")
        if max_frames is not None and max_frames < 0:
            raise ValueError(f"max_frames must be >= 0, not {max_frames}")
        start_masks = dict(start_masks or {})
        for object_id, mask in start_masks.items():
            start_masks[object_id] = _checked_mask(s, mask)
        return self._propagate(s, list(object_ids), start_frame, direction, max_frames, start_masks)

    def _propagate(
        self,
        s: OpenCVSession,
        object_ids: list[int],
        start_frame: int,
        direction: Direction,
        max_frames: int | None,
        start_masks: dict[int, np.ndarray],
    ) -> Iterator[tuple[int, list[ObjectMask]]]:
        step = 1 if direction == "forward" else -1
        last = s.frames.num_frames - 1 if step == 1 else 0
        count = abs(last - start_frame)
        if max_frames is not None:
            count = min(count, max_frames)
        tracker = _Tracker(s.frames.height, s.frames.width, self.config)

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
                masks.append(ObjectMask(object_id, full.copy(), 1.0))
        yield start_frame, masks

        for i in range(1, count + 1):
            frame_index = start_frame + i * step
            with s.lock:
                rgb = s.frames.read_rgb(frame_index)
                tracker.advance(rgb)
                masks = []
                for object_id in object_ids:
                    key_mask = self._key_frame_mask(s, object_id, frame_index)
                    if key_mask is not None:
                        # A key frame is what a person fixed: take it as is and track on from it.
                        tracker.set_mask(object_id, key_mask)
                        masks.append(ObjectMask(object_id, key_mask.copy(), 1.0))
                    else:
                        full, score = tracker.track(object_id)
                        masks.append(ObjectMask(object_id, full, score))
            yield frame_index, masks


# -- clicks -------------------------------------------------------------------------------------


def segment_prompts(
    rgb: np.ndarray,
    prompts: Sequence[Prompt],
    config: OpenCVConfig,
    known: Sequence[np.ndarray] = (),
    base: np.ndarray | None = None,
) -> list[np.ndarray]:
    """The masks (H, W bool) after each step of ``prompts`` on ``rgb``: the last one is the answer.

    A box (the last one given) is the first step, then the points in order, each refining the mask
    of the step before, as a person's clicks do. ``known`` are masks of the first steps computed
    before (same frame, same prompts): they are reused, so a new click costs one GrabCut. The
    result does not depend on ``known``: every step is deterministic. ``base`` is the mask the first
    step refines (a tracked mask a person corrects); without it the first step starts from nothing.
    """
    steps = _step_list(prompts)
    masks = list(known[: len(steps)])
    previous = masks[-1] if masks else base
    for k in range(len(masks), len(steps)):
        previous = _segment_step(rgb, previous, steps[: k + 1], config)
        masks.append(previous)
    return masks


def _segment_step(
    rgb: np.ndarray, previous: np.ndarray | None, steps: Sequence[Prompt], config: OpenCVConfig
) -> np.ndarray:
    """One GrabCut after the last of ``steps``, starting from the mask of the steps before it."""
    height, width = rgb.shape[:2]
    long_side = max(height, width)
    box = steps[0] if isinstance(steps[0], BoxPrompt) else None
    points = [p for p in steps if isinstance(p, PointPrompt)]
    last = steps[-1]
    if previous is None or not previous.any():
        previous = None
        if box is None and not any(p.positive for p in points):
            # Only negative clicks so far: nothing is asked for.
            return np.zeros((height, width), bool)

    # A first click alone says nothing of the object's size: the region of like colour around it
    # does. Without it, an object larger than the default region fills the region, and GrabCut
    # learns the object's own colour as background (one click on a uniform disc gave 13 pixels).
    seed = None
    if previous is None and box is None:
        first = next(p for p in points if p.positive)
        seed = _colour_region(rgb, first.x, first.y, config)

    # Region of interest: what is known of the object plus a margin of background for the colour
    # model of the background.
    xs = [p.x for p in points if p.positive]
    ys = [p.y for p in points if p.positive]
    if seed is not None:
        rows = np.flatnonzero(seed.any(axis=1))
        cols = np.flatnonzero(seed.any(axis=0))
        xs += [float(cols[0]), float(cols[-1] + 1)]
        ys += [float(rows[0]), float(rows[-1] + 1)]
    if box is not None:
        xs += [box.x0, box.x1]
        ys += [box.y0, box.y1]
    if previous is not None:
        rows = np.flatnonzero(previous.any(axis=1))
        cols = np.flatnonzero(previous.any(axis=0))
        xs += [float(cols[0]), float(cols[-1] + 1)]
        ys += [float(rows[0]), float(rows[-1] + 1)]
    x0, y0, x1, y1 = min(xs), min(ys), max(xs), max(ys)
    margin = max(config.point_region_fraction * long_side, 0.25 * max(x1 - x0, y1 - y0))
    if previous is None and box is not None:
        margin = max(8.0, 0.15 * max(x1 - x0, y1 - y0))
    rx0 = int(max(0, np.floor(x0 - margin)))
    ry0 = int(max(0, np.floor(y0 - margin)))
    rx1 = int(min(width, np.ceil(x1 + margin)))
    ry1 = int(min(height, np.ceil(y1 + margin)))
    roi = np.ascontiguousarray(rgb[ry0:ry1, rx0:rx1, ::-1])  # BGR like the rest of OpenCV
    scale = min(1.0, config.segment_max_side / max(roi.shape[:2]))
    if scale < 1.0:
        roi = cv2.resize(roi, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    rh, rw = roi.shape[:2]

    def to_roi(x: float, y: float) -> tuple[int, int]:
        return (
            int(np.clip(round((x - rx0) * scale), 0, rw - 1)),
            int(np.clip(round((y - ry0) * scale), 0, rh - 1)),
        )

    labels = np.full((rh, rw), _PR_BG, np.uint8)
    if previous is not None:
        prior = previous[ry0:ry1, rx0:rx1].astype(np.uint8)
        if scale < 1.0:
            prior = cv2.resize(prior, (rw, rh), interpolation=cv2.INTER_NEAREST)
        labels[prior > 0] = _PR_FG
    elif box is not None:
        # Classic GrabCut: outside the box is background, inside it may be the object.
        labels[:] = _BG
        bx0, by0 = to_roi(box.x0, box.y0)
        bx1, by1 = to_roi(box.x1, box.y1)
        labels[by0 : by1 + 1, bx0 : bx1 + 1] = _PR_FG
    else:
        # A first click: a disk around it is probably the object; GrabCut grows or shrinks it.
        first = next(p for p in points if p.positive)
        radius = max(3, round(config.seed_region_fraction * long_side * scale))
        if seed is not None:
            region = seed[ry0:ry1, rx0:rx1].astype(np.uint8)
            if scale < 1.0:
                region = cv2.resize(region, (rw, rh), interpolation=cv2.INTER_NEAREST)
            labels[region > 0] = _PR_FG
        cv2.circle(labels, to_roi(first.x, first.y), radius, int(_PR_FG), -1)
    labels[[0, -1], :] = _BG
    labels[:, [0, -1]] = _BG

    stroke = max(2, round(config.stroke_fraction * long_side * scale))
    for point in points:
        cx, cy = to_roi(point.x, point.y)
        radius = stroke
        if point is last and previous is not None:
            # A click fixes the error region it lands in: paint the part of it near the click, as far
            # as half the click's distance to the previous mask's boundary.
            inside = labels == _PR_FG
            region = inside if not point.positive else ~inside
            # No boundary to measure to (the previous mask lies all under earlier strokes): the
            # distance transform gives ~3e38 there, so the click paints its stroke only.
            if not region.all():
                dist = cv2.distanceTransform(region.astype(np.uint8), cv2.DIST_L2, 3)
                radius = max(stroke, int(0.5 * dist[cy, cx]))
        label = _FG if point.positive else _BG
        cv2.circle(labels, (cx, cy), radius, int(label), -1)
    if previous is not None:
        # A correction changes the mask near what it was and near the click, not far away where
        # GrabCut would pick up other things of the object's colours.
        reach = labels == _PR_FG
        cx, cy = to_roi(last.x, last.y) if isinstance(last, PointPrompt) else (0, 0)
        near = np.zeros_like(labels)
        if isinstance(last, PointPrompt):
            cv2.circle(near, (cx, cy), max(3 * stroke, round(config.reach_fraction * 2 * long_side * scale)), 1, -1)
        grow = max(3, round(config.reach_fraction * long_side * scale))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
        reach = cv2.dilate(reach.astype(np.uint8), kernel).astype(bool) | near.astype(bool)
        labels[~reach & (labels == _PR_BG)] = _BG
    # Earlier strokes keep their word over the last click's brush.
    for point in points:
        if point is not last:
            cv2.circle(labels, to_roi(point.x, point.y), stroke, int(_FG if point.positive else _BG), -1)

    iterations = config.segment_iterations
    result = _grabcut(roi, labels, iterations)
    fg = (result == _FG) | (result == _PR_FG)
    # A click segments one object: keep the parts that hold a positive click or that were the object
    # before, not far-away regions of similar colour.
    fg = _clean(
        fg,
        seeds=[to_roi(p.x, p.y) for p in points if p.positive],
        keep=(labels == _PR_FG) | (labels == _FG) if box is None else None,
        min_fraction=None if box is None else 0.15,
    )

    soft = fg.astype(np.float32)
    if scale < 1.0:
        soft = cv2.resize(soft, (rx1 - rx0, ry1 - ry0), interpolation=cv2.INTER_LINEAR)
    mask = np.zeros((height, width), bool)
    mask[ry0:ry1, rx0:rx1] = soft > 0.5
    return mask


def _colour_region(rgb: np.ndarray, x: float, y: float, config: OpenCVConfig) -> np.ndarray | None:
    """The connected region of about the click's colour (full-size bool mask), or None when it is a
    speck or spills over much of the frame (then the click alone seeds GrabCut, as before)."""
    height, width = rgb.shape[:2]
    scale = min(1.0, config.colour_region_max_side / max(height, width))
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    lab = cv2.cvtColor(cv2.GaussianBlur(small, (5, 5), 0), cv2.COLOR_RGB2LAB)
    sh, sw = lab.shape[:2]
    cx, cy = int(np.clip(x * scale, 0, sw - 1)), int(np.clip(y * scale, 0, sh - 1))
    fill = np.zeros((sh + 2, sw + 2), np.uint8)
    tol = (config.colour_region_tolerance,) * 3
    # Fixed range: compared with the clicked colour, so a slow gradient cannot carry the fill away.
    flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
    cv2.floodFill(lab, fill, (cx, cy), (0, 0, 0), tol, tol, flags)
    region = fill[1:-1, 1:-1] > 0
    share = region.mean()
    if not config.colour_region_min_share <= share <= config.colour_region_max_share:
        return None
    if scale < 1.0:
        region = cv2.resize(region.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST) > 0
    return region


def _grabcut(bgr: np.ndarray, labels: np.ndarray, iterations: int) -> np.ndarray:
    """cv2.grabCut with a fixed RNG seed (its k-means initialisation is random)."""
    if not np.any((labels == _FG) | (labels == _PR_FG)) or not np.any((labels == _BG) | (labels == _PR_BG)):
        return labels
    cv2.setRNGSeed(12345)
    result = labels.copy()
    bgd_model = np.zeros((1, 65), np.float64)
    fgd_model = np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(bgr, result, None, bgd_model, fgd_model, iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        # Too few samples for a colour model (a tiny region): keep the initial labels.
        return labels
    return result


def _clean(
    fg: np.ndarray,
    seeds: Sequence[tuple[int, int]] = (),
    keep: np.ndarray | None = None,
    min_fraction: float | None = 0.15,
) -> np.ndarray:
    """Drop stray regions and fill small holes.

    A connected component stays when it holds a seed, lies mostly inside ``keep``, or (when
    ``min_fraction`` is set) has at least that fraction of the largest component's area.
    """
    count, comp, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if count <= 1:
        return fg
    areas = stats[:, cv2.CC_STAT_AREA]
    wanted = np.zeros(count, bool)
    if min_fraction is not None:
        wanted[1:] = areas[1:] >= min_fraction * areas[1:].max()
    for x, y in seeds:
        wanted[comp[y, x]] = True
    if keep is not None:
        inside = np.bincount(comp[keep], minlength=count)
        wanted |= inside > 0.5 * areas
    wanted[0] = False
    out = wanted[comp]
    # Fill small holes left by specular highlights and shadows.
    holes = ~out
    hcount, hcomp, hstats, _ = cv2.connectedComponentsWithStats(holes.astype(np.uint8), connectivity=4)
    h, w = out.shape
    limit = 0.02 * max(1, int(out.sum()))
    for label in range(1, hcount):
        x, y, bw, bh, area = hstats[label]
        if area < limit and x > 0 and y > 0 and x + bw < w and y + bh < h:
            out[hcomp == label] = True
    return out


def _clean_track(fg: np.ndarray, gap: int) -> np.ndarray:
    """Keep the largest part of a tracked mask and the parts within ``gap`` pixels of it.

    An object seldom splits into far-apart pieces; a piece left behind is usually a trail (smoke,
    uncovered background) that would otherwise be tracked for the rest of the video. Small holes
    are filled as in ``_clean``.
    """
    count, comp, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if count > 2:
        largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * gap + 1, 2 * gap + 1))
        near = cv2.dilate((comp == largest).astype(np.uint8), kernel).astype(bool)
        wanted = np.zeros(count, bool)
        wanted[np.unique(comp[near])] = True
        wanted[0] = False
        fg = wanted[comp]
    return _clean(fg, min_fraction=0.0)


# -- tracking -----------------------------------------------------------------------------------


class _ObjectTrack:
    """What the tracker knows of one object: its mask and colour models at working size."""

    def __init__(self, soft: np.ndarray, key_fg: np.ndarray, fg: np.ndarray, bg: np.ndarray) -> None:
        self.soft = soft  # float mask 0..1 on the last frame
        self.key_fg = key_fg  # colour histogram of the object on its key frame (never drifts)
        self.fg = fg  # colour histogram of the object on recent frames
        self.bg = bg  # colour histogram of the background near the object on recent frames
        # The object's last motion (2x3 similarity, previous frame -> current), None until known.
        self.motion: np.ndarray | None = None


class _Tracker:
    """Flow-warp + colour-model tracking of several objects through consecutive frames."""

    def __init__(self, height: int, width: int, config: OpenCVConfig) -> None:
        self.config = config
        self.height, self.width = height, width
        self.scale = min(1.0, config.track_max_side / max(height, width))
        self.size = (max(1, round(width * self.scale)), max(1, round(height * self.scale)))
        flow_scale = min(1.0, config.flow_max_side / max(self.size))
        self.flow_size = (max(1, round(self.size[0] * flow_scale)), max(1, round(self.size[1] * flow_scale)))
        self.flow = cv2.DISOpticalFlow_create(config.flow_preset)  # type: ignore[attr-defined]
        # Finest pyramid level at full flow size: the presets stop one level above, which loses
        # thin, fast parts (legs, wheels) and costs little at this size.
        self.flow.setFinestScale(0)
        grid_x, grid_y = np.meshgrid(
            np.arange(self.size[0], dtype=np.float32), np.arange(self.size[1], dtype=np.float32)
        )
        self.grid = (grid_x, grid_y)
        self.objects: dict[int, _ObjectTrack] = {}
        self.bgr: np.ndarray | None = None
        self.colours: np.ndarray | None = None
        self.gray: np.ndarray | None = None
        self.back_flow: np.ndarray | None = None
        self.reliable: np.ndarray | None = None

    def _load(self, rgb: np.ndarray) -> None:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        if self.scale < 1.0:
            bgr = cv2.resize(bgr, self.size, interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        if self.flow_size != self.size:
            gray = cv2.resize(gray, self.flow_size, interpolation=cv2.INTER_AREA)
        self.bgr, self.gray = bgr, gray
        self.colours = _colour_index(bgr)

    def start(self, rgb: np.ndarray) -> None:
        self._load(rgb)

    def set_mask(self, object_id: int, full: np.ndarray) -> None:
        """Take ``full`` as the object's mask on the current frame (a key frame)."""
        soft = full.astype(np.float32)
        if self.scale < 1.0:
            soft = cv2.resize(soft, self.size, interpolation=cv2.INTER_AREA)
        hard = soft > 0.5
        fg = self._histogram(hard)
        bg = self._histogram(self._surroundings(hard))
        self.objects[object_id] = _ObjectTrack(soft, fg, fg.copy(), bg)

    def advance(self, rgb: np.ndarray) -> None:
        previous = self.gray
        self._load(rgb)
        assert previous is not None and self.gray is not None, "start() comes before advance()"
        # Flow from the new frame back to the previous one: where each new pixel came from.
        back = self.flow.calc(self.gray, previous, None)
        # And forward: a pixel whose round trip does not come back (uncovered background behind a
        # moving object, flow errors) gets no vote from the warped mask, so no trail follows it.
        forward = self.flow.calc(previous, self.gray, None)
        fh, fw = self.gray.shape
        gx, gy = np.meshgrid(np.arange(fw, dtype=np.float32), np.arange(fh, dtype=np.float32))
        there = cv2.remap(
            forward, gx + back[..., 0], gy + back[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
        error = np.linalg.norm(back + there, axis=2)
        speed = np.linalg.norm(back, axis=2)
        reliable = (error <= self.config.flow_tolerance * (1.0 + 0.1 * speed)).astype(np.float32)
        if self.flow_size != self.size:
            factor = self.size[0] / self.flow_size[0]
            back = cv2.resize(back, self.size, interpolation=cv2.INTER_LINEAR) * factor
            reliable = cv2.resize(reliable, self.size, interpolation=cv2.INTER_LINEAR)
        self.back_flow = back
        self.reliable = reliable > 0.5

    def track(self, object_id: int) -> tuple[np.ndarray, float]:
        """The object's mask on the current frame (full size) and a confidence score."""
        track = self.objects[object_id]
        assert self.back_flow is not None
        if not np.any(track.soft > 0.5):
            track.soft = np.zeros_like(track.soft)
            return np.zeros((self.height, self.width), bool), 0.0
        map_x = self.grid[0] + self.back_flow[..., 0]
        map_y = self.grid[1] + self.back_flow[..., 1]
        warped = cv2.remap(track.soft, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        assert self.reliable is not None
        motion = self._object_motion(track, warped, map_x, map_y)
        if motion is None:
            # Where the flow is unreliable the warped mask only leans towards background.
            moved = np.minimum(warped, self.config.unreliable_prior)
        else:
            # Where it is unreliable (fast, blurred or textureless parts, which a forward-backward
            # check fails on a third to two thirds of a running dog), the object's own motion
            # carries the mask: it neither drops those parts nor leaves a trail on uncovered
            # background as per-pixel flow would.
            track.motion = motion
            moved = cv2.warpAffine(
                track.soft, motion, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
            )
        warped = np.where(self.reliable, warped, moved)
        soft, score = self._refine(track, warped)
        track.soft = soft
        full = soft
        if self.scale < 1.0:
            full = cv2.resize(soft, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        return full > 0.5, score

    def _object_motion(
        self, track: _ObjectTrack, warped: np.ndarray, map_x: np.ndarray, map_y: np.ndarray
    ) -> np.ndarray | None:
        """The object's motion from the last frame to this one as a 2x3 similarity (shift, turn,
        scale), fitted robustly to the flow of its pixels that passed the round-trip check; the
        last motion (constant velocity) when too few did, None when there is none yet."""
        assert self.reliable is not None
        inside = (warped > 0.5) & self.reliable
        ys, xs = np.nonzero(inside[::2, ::2])
        if len(xs) >= self.config.motion_min_points:
            ys, xs = 2 * ys, 2 * xs
            dst = np.stack([xs, ys], axis=1).astype(np.float32)
            src = np.stack([map_x[ys, xs], map_y[ys, xs]], axis=1).astype(np.float32)
            cv2.setRNGSeed(12345)
            motion, _ = cv2.estimateAffinePartial2D(
                src, dst, method=cv2.RANSAC, ransacReprojThreshold=2.0, maxIters=200, refineIters=5
            )
            if motion is not None:
                scale = float(np.hypot(motion[0, 0], motion[1, 0]))
                if 0.67 <= scale <= 1.5:
                    return motion.astype(np.float32)
        return track.motion

    def _histogram(self, where: np.ndarray) -> np.ndarray:
        assert self.colours is not None
        hist = np.bincount(self.colours[where], minlength=_BINS).astype(np.float32)
        if self.config.colour_smoothing:
            # Spread each count to the neighbouring bins: a colour seen once also explains close
            # shades, so a small object's sparse histogram still gives a usable posterior.
            cube = hist.reshape(_LEVELS, _LEVELS, _LEVELS)
            for axis in range(3):
                cube = 0.5 * cube + 0.25 * (np.roll(cube, 1, axis) + np.roll(cube, -1, axis))
            hist = cube.reshape(-1)
        return hist / max(1.0, float(hist.sum()))

    def _surroundings(self, hard: np.ndarray, by_distance: bool = False) -> np.ndarray:
        """Background near the object: a ring as wide as the object's typical size.

        ``by_distance`` finds the same disc by a distance transform, in time that does not grow with
        the ring's width (the dilation costs ~4 ms a frame for a large object at 360 px); the two
        differ on a few pixels of the ring's outer edge."""
        area = int(hard.sum())
        ring = 3 + int(0.5 * np.sqrt(area))
        if by_distance:
            distance = cv2.distanceTransform((~hard).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
            return (distance <= ring) & ~hard
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * ring + 1, 2 * ring + 1))
        return cv2.dilate(hard.astype(np.uint8), kernel).astype(bool) & ~hard

    def _refine(self, track: _ObjectTrack, warped: np.ndarray) -> tuple[np.ndarray, float]:
        """Snap a warped mask to the object's colours in a band around its boundary."""
        config = self.config
        hard = warped > 0.5
        area = int(hard.sum())
        if area < 9:
            hard = warped > self.config.unreliable_prior - 1e-3
            area = int(hard.sum())
        if area < 9:
            return hard.astype(np.float32), 0.0
        assert self.colours is not None
        band = 2 + int(config.band_fraction * np.sqrt(area))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
        u8 = hard.astype(np.uint8)
        inner = cv2.erode(u8, kernel).astype(bool)
        outer = cv2.dilate((warped > 0.01).astype(np.uint8), kernel).astype(bool)
        ys, xs = np.nonzero(outer)
        h, w = hard.shape
        x0, x1 = max(0, xs.min() - 1), min(w, xs.max() + 2)
        y0, y1 = max(0, ys.min() - 1), min(h, ys.max() + 2)
        box = (x0, y0, x1, y1)
        fresh = None
        if config.fresh_background_weight > 0:
            # Beyond the band, so the parts of the object the warped mask missed are not taken in.
            fresh = config.fresh_background_weight * self._histogram(self._surroundings(outer, by_distance=True))
        sub = self._colour_band(track, warped[y0:y1, x0:x1], inner[y0:y1, x0:x1], outer[y0:y1, x0:x1], band, box, fresh)
        sub = _clean_track(sub, band)
        new_area = int(sub.sum())
        ratio = (new_area + 1) / (area + 1)
        out = np.zeros_like(hard)
        if 1 / config.max_area_ratio <= ratio <= config.max_area_ratio:
            out[y0:y1, x0:x1] = sub
        else:
            out = hard
        # Colour models follow slow changes of light and pose; the key frame's anchors them.
        rate = config.colour_update_rate
        track.fg = (1 - rate) * track.fg + rate * self._histogram(out)
        track.bg = (1 - rate) * track.bg + rate * self._histogram(self._surroundings(out))
        inter = np.logical_and(out, hard).sum()
        union = np.logical_or(out, hard).sum()
        return out.astype(np.float32), float(inter / max(1, union))

    def _colour_band(self, track, warped, inner, outer, band, box, fresh) -> np.ndarray:
        x0, y0, x1, y1 = box
        config = self.config
        assert self.colours is not None
        colours = self.colours[y0:y1, x0:x1]
        fg_model = config.key_colour_weight * track.key_fg + (1 - config.key_colour_weight) * track.fg
        fg_like = fg_model[colours]
        bg_model = track.bg if fresh is None else np.maximum(track.bg, fresh)
        bg_like = bg_model[colours]
        # Posterior that a pixel is the object from its colour alone (0.5 where colour is unknown).
        colour_prob = (fg_like + 1e-6) / (fg_like + bg_like + 2e-6)
        assert self.reliable is not None
        weight = np.where(self.reliable[y0:y1, x0:x1], config.flow_weight, config.unreliable_flow_weight)
        score_map = (weight * warped + (1 - weight) * colour_prob).astype(np.float32)
        # Neighbours agree: smoothing stands in for GrabCut's pairwise term at a fraction of its cost.
        smooth = max(1, band // 2) * 2 + 1
        score_map = cv2.GaussianBlur(score_map, (smooth, smooth), 0)
        sub = score_map > 0.5
        sub[inner] = True
        sub[~outer] = False
        return sub


# Colours quantised to _LEVELS levels a channel for the colour histograms: fewer bins are robust
# with the few hundred pixels of a small object, more separate close colours.
_LEVEL_BITS = 5
_LEVELS = 1 << _LEVEL_BITS
_BINS = _LEVELS**3


def _colour_index(bgr: np.ndarray) -> np.ndarray:
    q = (bgr >> (8 - _LEVEL_BITS)).astype(np.int32)
    return (q[..., 0] << (2 * _LEVEL_BITS)) | (q[..., 1] << _LEVEL_BITS) | q[..., 2]


def _step_list(prompts: Sequence[Prompt]) -> list[Prompt]:
    boxes = [p for p in prompts if isinstance(p, BoxPrompt)]
    return boxes[-1:] + [p for p in prompts if isinstance(p, PointPrompt)]


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
    for old, new in zip(_step_list(before.prompts), _step_list(prompts), strict=False):
        if old != new:
            break
        common += 1
    return before.steps[:common]


# -- checks -------------------------------------------------------------------------------------


def _own(session: EngineSession) -> OpenCVSession:
    if not isinstance(session, OpenCVSession):
        raise TypeError(f"not a session of the OpenCV engine: {type(session).__name__}")
    return session


def _check_frame(s: OpenCVSession, frame_index: int) -> None:
    if not 0 <= frame_index < s.frames.num_frames:
        raise ValueError(f"frame {frame_index} is out of range: the media has {s.frames.num_frames} frames")


def _check_prompt(s: OpenCVSession, prompt: Prompt) -> None:
    width, height = s.frames.width, s.frames.height
    if isinstance(prompt, PointPrompt):
        if not (0 <= prompt.x <= width and 0 <= prompt.y <= height):
            raise ValueError(f"point ({prompt.x}, {prompt.y}) is outside the {width}x{height} frame")
    elif isinstance(prompt, BoxPrompt):
        if not (0 <= prompt.x0 < prompt.x1 <= width and 0 <= prompt.y0 < prompt.y1 <= height):
            raise ValueError(
                f"box ({prompt.x0}, {prompt.y0}, {prompt.x1}, {prompt.y1}) is empty or outside "
                f"the {width}x{height} frame"
            )
    else:
        raise ValueError(f"unknown prompt type {type(prompt).__name__}")


def _checked_mask(s: OpenCVSession, mask: np.ndarray) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.shape != (s.frames.height, s.frames.width):
        raise ValueError(f"mask of shape {mask.shape} does not match the {s.frames.width}x{s.frames.height} frame")
    return mask.astype(bool)
