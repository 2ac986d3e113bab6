"""Tracking masks through a video with optical flow and colour models.

DIS optical flow from each frame back to the previous one warps the previous mask onto the new
frame; a forward-backward check takes the vote away from pixels whose flow does not round-trip
(uncovered background); those pixels take the mask moved by the object's own motion (a similarity
fitted with RANSAC to the flow that did round-trip), so fast, blurred parts are not dropped and the
mask follows the object's scale; and in a band around the warped boundary a colour posterior
snaps the boundary back to the object, so flow errors do not pile up (band.py). A lost
object is searched for (redetect.py); one the object's motion carried out of the frame has left it
(out_of_view.py). Objects whose masks were apart are kept apart (apart.py). Work is done on a
frame scaled down to ``track_max_side``; masks are scaled back up.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from .apart import claim, contested_window, overlapping_pairs, split
from .band import refine, surroundings
from .config import OpenCVConfig
from .histograms import colour_index, histogram
from .out_of_view import CarriedPoints, touches_edge
from .redetect import LostState, find_object


class Tracked(NamedTuple):
    """One object's mask on the current frame (full size), a score (how much the colour band moved
    the warped mask), a confidence in [0, 1] from the tracker's consistency measures, whether the
    mask was found again by searching the frame after the object was lost (redetect.py), and
    whether the object has left the frame (out_of_view.py; its confidence then says how surely)."""

    mask: np.ndarray
    score: float
    confidence: float
    refound: bool = False
    left_view: bool = False  # the object's motion carried it out of the frame: empty, and rightly


class ObjectTrack:
    """What the tracker knows of one object: its mask and colour models at working size."""

    def __init__(self, soft: np.ndarray, fg: np.ndarray, bg: np.ndarray, frame_bg: np.ndarray, lost: LostState) -> None:
        self.soft = soft  # float mask 0..1 on the last frame
        self.key_fg = fg  # colour histogram of the object on its key frame (never drifts)
        self.key_bg = bg  # and of the background near it there
        self.fg = fg.copy()  # colour histogram of the object on recent frames
        self.bg = bg.copy()  # colour histogram of the background near the object on recent frames
        self.frame_bg = frame_bg  # colour histogram of the whole key frame outside the object
        self.lost = lost  # to search for the object when its mask collapses
        # The object's last motion (2x3 similarity, previous frame -> current), None until known.
        self.motion: np.ndarray | None = None
        self.colour_fit = 1.0  # how well the last mask's colours match the key frame's (0..1)
        # The mask's area on the key frame, and how much the object's own motion has scaled it
        # since (log of the area factor): growth the motion does not explain is a leak or a loss.
        self.key_area = float((soft > 0.5).sum())
        self.log_scale = 0.0
        # Pixels the band refused an overgrown mask lately (band.refine; config.growth_memory):
        # the confidence judges the mask's size as if they had joined it, so holding a leak back
        # does not make the mask look surer than it was.
        self.refused = 0.0
        # Where the object's motion has carried its key frame's mask, beyond the frame's edges too;
        # once it has left the frame, the share of those points outside it (else None).
        self.carried = CarriedPoints(soft > 0.5)
        self.outside: float | None = None
        # The mask the flow carried onto the current frame, before colour refinement (apart.py):
        # the key mask itself on a key frame.
        self.warped = soft


class Tracker:
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
        self.objects: dict[int, ObjectTrack] = {}
        # Pairs of objects that may share pixels (a part and its whole); all others are kept apart.
        self.may_overlap: set[frozenset[int]] = set()
        self.bgr: np.ndarray | None = None
        self.colours: np.ndarray | None = None
        self.gray: np.ndarray | None = None
        self.back_flow: np.ndarray | None = None
        self.reliable: np.ndarray | None = None

    def _load(self, rgb: np.ndarray) -> None:
        # Scaled down first, so the channel swap copies the small frame, not the full one.
        if self.scale < 1.0:
            rgb = cv2.resize(rgb, self.size, interpolation=cv2.INTER_AREA)
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        if self.flow_size != self.size:
            gray = cv2.resize(gray, self.flow_size, interpolation=cv2.INTER_AREA)
        self.bgr, self.gray = bgr, gray
        self.colours = colour_index(bgr)

    def start(self, rgb: np.ndarray) -> None:
        self._load(rgb)

    def set_mask(self, object_id: int, full: np.ndarray) -> None:
        """Take ``full`` as the object's mask on the current frame (a key frame)."""
        soft = full.astype(np.float32)
        if self.scale < 1.0:
            soft = cv2.resize(soft, self.size, interpolation=cv2.INTER_AREA)
        hard = soft > 0.5
        assert self.colours is not None
        fg = histogram(self.colours, hard, self.config.colour_smoothing)
        bg = histogram(self.colours, surroundings(hard), self.config.colour_smoothing)
        frame_bg = histogram(self.colours, ~hard, self.config.colour_smoothing)
        lost = LostState.on_key_frame(self.colours, fg, frame_bg, hard, self.config)
        self.objects[object_id] = ObjectTrack(soft, fg, bg, frame_bg, lost)

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
        miss = back + there
        error = cv2.magnitude(miss[..., 0], miss[..., 1])
        speed = cv2.magnitude(back[..., 0], back[..., 1])
        reliable = (error <= self.config.flow_tolerance * (1.0 + 0.1 * speed)).astype(np.float32)
        if self.flow_size != self.size:
            factor = self.size[0] / self.flow_size[0]
            back = cv2.resize(back, self.size, interpolation=cv2.INTER_LINEAR) * factor
            reliable = cv2.resize(reliable, self.size, interpolation=cv2.INTER_LINEAR)
        self.back_flow = back
        self.reliable = reliable > 0.5

    def track(self, object_id: int) -> Tracked:
        """The object's mask on the current frame, tracked from the last one."""
        track = self.objects[object_id]
        assert self.back_flow is not None
        if not np.any(track.soft > 0.5):
            track.soft, refound = self._search(object_id, np.zeros(self.size[::-1], bool))
            if refound:
                track.carried, track.outside = CarriedPoints(track.soft > 0.5), None
            track.warped = track.soft
            gone = track.outside is not None
            return Tracked(self._full(track.soft), 0.0, track.outside or 0.0, refound, gone)
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
            if motion is not track.motion:  # fitted on this frame (not the last one carried on)
                track.log_scale += 2.0 * float(np.log(np.hypot(motion[0, 0], motion[1, 0])))
            track.motion = motion
            track.carried.carry(motion)
            if track.carried.left(self.size, self.config.out_of_view_share) and touches_edge(track.soft > 0.5):
                # What its colours still find at the edge is scenery (a barrier beside a car).
                track.soft = track.warped = np.zeros_like(track.soft)
                track.outside = 1.0 - track.carried.inside_share(self.size)
                return Tracked(self._full(track.soft), 0.0, track.outside, False, True)
            moved = cv2.warpAffine(
                track.soft, motion, self.size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0
            )
        # Share of the carried mask whose flow round-trips: low where the object was occluded,
        # blurred or left the view (forward-backward agreement).
        inside = warped > 0.5
        round_trip = float(self.reliable[inside].mean()) if inside.any() else 0.0
        warped = np.where(self.reliable, warped, moved)
        track.warped = warped
        assert self.colours is not None
        warped_hard = warped > 0.5
        size = _size_against_motion(float(warped_hard.sum()), track)
        if size < 1.0 and touches_edge(warped_hard):
            size = 1.0  # an object leaving the view shrinks: at the edge its shrink is not doubted
        soft, score, held = refine(track, warped, self.colours, self.reliable, self.config, size)
        hard = soft > 0.5
        area = float(hard.sum())
        track.refused = self.config.growth_memory * track.refused + held
        searched = refound = False
        if track.lost.collapsed(area, self.config):
            soft, refound = self._search(object_id, hard)
            searched = True
        elif track.colour_fit < self.config.redetect_colour_fit:
            found = self._find(object_id, hard)
            if found is not None:
                soft, searched, refound = found.astype(np.float32), True, True
        if searched:
            area = float((soft > 0.5).sum())
        if refound:
            track.carried, track.refused = CarriedPoints(soft > 0.5), 0.0
        track.soft = soft
        explained = _explained_growth(area + track.refused, track)
        confidence = _confidence(score, round_trip, track.colour_fit, explained, searched)
        return Tracked(self._full(soft), score, confidence, refound)

    def allow_overlaps(self, object_ids: list[int]) -> None:
        """Let those of ``object_ids`` whose current masks overlap by design (a part in its whole)
        keep overlapping; called on the frame tracking starts from and on frames where several
        objects have key masks."""
        self.may_overlap |= overlapping_pairs({o: self.objects[o].soft > 0.5 for o in object_ids if o in self.objects})

    def separate(self, tracked: dict[int, Tracked], fixed: list[int]) -> dict[int, Tracked]:
        """Give each pixel that several objects' masks hold to one of them (apart.py); a key mask
        (``fixed``) keeps all of its pixels. An object's confidence is scaled by the share of its
        mask it kept."""
        ids = [o for o in [*tracked, *fixed] if o in self.objects]
        if len(ids) < 2 or not self.config.keep_apart:
            return tracked
        hards = {o: self.objects[o].soft > 0.5 for o in ids}
        window = contested_window(hards, {o: self.objects[o].warped for o in ids if o not in fixed}, self.may_overlap)
        if window is None:
            return tracked
        rows, cols, sigmas = window
        assert self.back_flow is not None and self.reliable is not None
        flow = (self.back_flow[rows, cols], self.grid[0][rows, cols], self.grid[1][rows, cols])
        reliable = self.reliable[rows, cols]
        claims = {
            o: claim(self.objects[o].warped[rows, cols], sigma, self.objects[o].motion, flow, reliable)
            for o, sigma in sigmas.items()
        }
        changed = split({o: hards[o][rows, cols] for o in ids}, claims, set(fixed), self.may_overlap)
        result = dict(tracked)
        for object_id, kept_window in changed.items():
            track, before = self.objects[object_id], tracked[object_id]
            lost = np.zeros_like(hards[object_id])
            lost[rows, cols] = hards[object_id][rows, cols] & ~kept_window
            kept = 1.0 - float(lost.sum()) / max(1.0, float(hards[object_id].sum()))
            track.soft = np.where(lost, 0.0, track.soft).astype(np.float32)
            result[object_id] = before._replace(mask=self._full(track.soft), confidence=before.confidence * kept)
        return result

    def _full(self, soft: np.ndarray) -> np.ndarray:
        if self.scale < 1.0:
            soft = cv2.resize(soft, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        return soft > 0.5

    def _search(self, object_id: int, hard: np.ndarray) -> tuple[np.ndarray, bool]:
        """The collapsed mask ``hard``, or the region found to be the object when it is larger
        (then True: the object was found again)."""
        found = self._find(object_id, hard)
        if found is None or found.sum() <= hard.sum():
            return hard.astype(np.float32), False
        return found.astype(np.float32), True

    def _find(self, object_id: int, hard: np.ndarray) -> np.ndarray | None:
        """The region of the frame most like the object, if it can be searched for and is found;
        not where another object kept apart from it is (a look-alike is not the lost object)."""
        track = self.objects[object_id]
        if not track.lost.findable or track.lost.reference < 9:
            return None
        assert self.colours is not None
        taken = None
        if self.config.keep_apart:
            others = [
                t.soft > 0.5
                for o, t in self.objects.items()
                if o != object_id and frozenset((o, object_id)) not in self.may_overlap
            ]
            taken = np.logical_or.reduce(others) if others else None
        return find_object(self.colours, track.key_fg, track.frame_bg, track.lost.reference, hard, self.config, taken)

    def _object_motion(
        self, track: ObjectTrack, warped: np.ndarray, map_x: np.ndarray, map_y: np.ndarray
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


def _size_against_motion(area: float, track: ObjectTrack) -> float:
    """A mask of ``area`` against what the object's own motion made of its key frame's area: much
    above 1 it has grown into look-alike background, much below it has lost part of the object."""
    if track.key_area <= 0:
        return 1.0
    return area / (track.key_area * float(np.exp(track.log_scale)))


def _explained_growth(area: float, track: ObjectTrack) -> float:
    """How far the object's own motion explains its area against the key frame's, in (0, 1]: 1 when
    the mask grew or shrank as its motion scaled it (an approaching car), less when it grew into
    the background (a boat's mask spreading over its wake) or lost part of the object."""
    if area <= 0 or track.key_area <= 0:
        return 1.0  # an empty mask is judged as such elsewhere
    # The smaller over the larger of the area and the area the motion predicts, as the review's
    # area cues compare areas.
    size = _size_against_motion(area, track)
    return min(size, 1.0 / size)


def _confidence(score: float, round_trip: float, colour_fit: float, explained: float, searched: bool) -> float:
    """The tracker's belief in a mask: the colour band agreeing with the warped mask, the flow
    round-tripping, the colours still the key frame's, its size what its motion made it; a mask
    found by re-detection is a guess."""
    value = score * (0.5 + 0.5 * round_trip) * colour_fit * explained
    return float(np.clip(0.5 * value if searched else value, 0.0, 1.0))
