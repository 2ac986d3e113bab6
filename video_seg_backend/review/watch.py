"""A tracking run's view of its own masks: each mask's confidence as it comes, where an object was
lost, and the words the person reads when the job ends."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .combination import DEFAULT_WEIGHTS, Weights, combine
from .cues import TrackCues

# An object whose confidence stays under this up to the end of a run is reported lost there.
LOST_BELOW = 0.15


@dataclass
class RunWatch:
    """Confidence of each object's masks along one run (one direction from one start frame)."""

    start_frame: int
    weights: Weights = DEFAULT_WEIGHTS
    tracks: dict[int, TrackCues] = field(default_factory=dict)
    low_since: dict[int, int] = field(default_factory=dict)  # object -> first frame of its low stretch

    def start(self, object_id: int, mask: np.ndarray, frame_index: int | None = None) -> None:
        """The object's mask is known on this frame (the start, or a key frame met on the way)."""
        self.tracks[object_id] = TrackCues(self.start_frame if frame_index is None else frame_index, mask)
        self.low_since.pop(object_id, None)

    def confidence(self, object_id: int, frame_index: int, mask: np.ndarray, engine: float | None) -> float:
        track = self.tracks.get(object_id)
        if track is None:
            track = self.tracks[object_id] = TrackCues(self.start_frame, np.zeros_like(mask))
        value = combine(track.add(frame_index, mask, engine), self.weights)
        if value < LOST_BELOW:
            self.low_since.setdefault(object_id, frame_index)
        else:
            self.low_since.pop(object_id, None)
        return value


def object_name(label: str | None, name: str | None, track_id: int) -> str:
    """How the studio names an object: its own name, else its label, with its track number."""
    return f"{name or label or 'object'} #{track_id}"


def summary_line(
    lost: Sequence[tuple[int, int]],
    stopped_at: Sequence[int],
    to_review: int,
    names: Mapping[int, str],
    kept: int = 0,
    refound: Sequence[tuple[int, int]] = (),
    left_view: Sequence[tuple[int, int]] = (),
) -> str | None:
    """ "cyclist #1 lost at frame 171; 12 frames to review" (None when there is nothing to say).

    ``refound``: (object, frame) where the engine found a lost object again by searching the frame;
    what it found there has the object's colours, and may be another thing of the same colours.
    ``left_view``: (object, frame) where the engine followed the object out of the frame."""

    def said(objects: Sequence[tuple[int, int]], words: str) -> list[str]:
        """``words`` (with {frame}) after each object's name, earliest frame first."""
        return [
            f"{names.get(o, f'object {o}')} {words.format(frame=f)}" for o, f in sorted(objects, key=lambda x: x[1])
        ]

    parts = said(lost, "lost at frame {frame}") + said(left_view, "left the view at frame {frame}")
    parts += said(refound, "found again at frame {frame}: check it")
    parts += [f"stopped at drift on frame {f}" for f in sorted(set(stopped_at))]
    if kept:
        parts.append(f"{kept} mask{'s' if kept != 1 else ''} kept from a more confident track")
    if to_review:
        parts.append(f"{to_review} frame{'s' if to_review != 1 else ''} to review")
    return "; ".join(parts) or None
