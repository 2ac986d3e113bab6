"""Link per-frame detections into tracks with ByteTrack (supervision), boxes filled in between detection frames.

Why supervision's ByteTrack: it is the tracker most detector pipelines use, needs no appearance model
(so no weights), and its package only adds matplotlib to what the backend already installs. Its
successor, roboflow's ``trackers`` package, requires the GUI ``opencv-python`` build, which would
overwrite the headless ``cv2`` the server uses; norfair pins numpy < 2. ByteTrack is in supervision up
to 0.30 (pyproject pins ``<0.31``); moving to ``trackers`` is a change in this file alone.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from video_seg_backend.detection.base import Detection

Box = tuple[float, float, float, float]


@dataclass
class Track:
    """One linked object: its label and a box per frame (detected, or interpolated between detections)."""

    track_id: int
    label: str
    boxes: dict[int, Box] = field(default_factory=dict)
    # Scores of the detection frames only; interpolated frames have no score.
    scores: dict[int, float] = field(default_factory=dict)

    @property
    def first_frame(self) -> int:
        return min(self.boxes)

    @property
    def last_frame(self) -> int:
        return max(self.boxes)


def _byte_track(frame_rate: float, lost_track_buffer: int, activation: float, matching: float) -> object:
    import supervision as sv

    with warnings.catch_warnings():
        # supervision 0.28-0.30 announce ByteTrack's move to the `trackers` package; see the module docstring.
        warnings.simplefilter("ignore", FutureWarning)
        return sv.ByteTrack(
            track_activation_threshold=activation,
            lost_track_buffer=lost_track_buffer,
            minimum_matching_threshold=matching,
            frame_rate=frame_rate,
            minimum_consecutive_frames=1,
        )


def link_tracks(
    detections: Mapping[int, Sequence[Detection]],
    *,
    num_frames: int,
    fps: float = 30.0,
    lost_seconds: float = 1.0,  # a track survives this long without a detection before a new id starts
    activation: float = 0.25,  # detections scoring below this extend tracks but never start one
    matching: float = 0.8,  # ByteTrack's cost threshold (1 - IoU); lower splits tracks more often
    max_gap: int | None = None,  # longest run of frames filled by interpolation; default: the lost-track time
    min_detections: int = 2,  # tracks seen on fewer detection frames are dropped as noise
) -> list[Track]:
    """Link detections (frame index -> boxes, on the frames that were run) into tracks.

    The tracker is stepped once per detection frame, in frame order, with a frame rate scaled by the
    detection stride so that ``lost_seconds`` means the same with every-N-frames detection. Each track
    gets the detected box on its detection frames and a linear interpolation on the frames between two
    of them at most ``max_gap`` frames apart. Same input, same output: ByteTrack is deterministic and
    tracks are numbered 1, 2, ... by first frame.
    """
    import supervision as sv

    frames = sorted(f for f in detections if 0 <= f < num_frames)
    if len(frames) != len(detections):
        raise ValueError(f"detection frame indices must lie in [0, {num_frames})")
    if not frames:
        return []
    stride = float(np.median(np.diff(frames))) if len(frames) > 1 else 1.0
    tracker_fps = fps / stride
    buffer = max(1, round(lost_seconds * tracker_fps))
    gap = max_gap if max_gap is not None else max(1, round(lost_seconds * fps))
    tracker = _byte_track(tracker_fps, buffer, activation, matching)

    raw: dict[int, Track] = {}
    for frame in frames:
        dets = list(detections[frame])
        labels = sorted({d.label for d in dets})
        if dets:
            sv_dets = sv.Detections(
                xyxy=np.array([d.box for d in dets], dtype=np.float32).reshape(-1, 4),
                confidence=np.array([d.score for d in dets], dtype=np.float32),
                class_id=np.array([labels.index(d.label) for d in dets], dtype=int),
            )
        else:
            sv_dets = sv.Detections.empty()
        out = tracker.update_with_detections(sv_dets)  # type: ignore[attr-defined]
        for box, score, class_id, tid in zip(out.xyxy, out.confidence, out.class_id, out.tracker_id, strict=True):
            track = raw.setdefault(int(tid), Track(int(tid), labels[int(class_id)]))
            track.boxes[frame] = (float(box[0]), float(box[1]), float(box[2]), float(box[3]))
            track.scores[frame] = float(score)

    kept = [t for t in raw.values() if len(t.scores) >= min_detections]
    kept.sort(key=lambda t: (t.first_frame, t.track_id))
    result = []
    for number, track in enumerate(kept, start=1):
        result.append(Track(number, track.label, _interpolate(track.boxes, gap), dict(track.scores)))
    return result


def _interpolate(boxes: dict[int, Box], max_gap: int) -> dict[int, Box]:
    """Fill the frames between consecutive detection frames (at most ``max_gap`` apart) linearly."""
    keys = sorted(boxes)
    filled = dict(boxes)
    for a, b in zip(keys, keys[1:], strict=False):
        if b - a > max_gap:
            continue
        box_a, box_b = np.array(boxes[a]), np.array(boxes[b])
        for f in range(a + 1, b):
            t = (f - a) / (b - a)
            v = (1 - t) * box_a + t * box_b
            filled[f] = (float(v[0]), float(v[1]), float(v[2]), float(v[3]))
    return dict(sorted(filled.items()))
