"""The contract every segmentation engine implements.

An engine turns prompts (points and boxes) on one frame into a mask for one object, and tracks the
masks of key frames through the rest of a video. Images are videos of one frame.

The service never holds engine state itself: it asks the engine for a session of a media item and
hands over a ``replay`` callback that lists every key frame stored in the database. An engine that
evicted (or never had) the state for that media rebuilds it by calling ``replay`` — so a restart or
a cache eviction never loses a person's clicks.

Nothing in this module imports torch; only engine implementations that need it do.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np


@dataclass(frozen=True)
class PointPrompt:
    """A click in source-pixel coordinates (x right, y down); positive adds, negative removes."""

    x: float
    y: float
    positive: bool = True


@dataclass(frozen=True)
class BoxPrompt:
    """A box in source-pixel coordinates, corners (x0, y0) top-left and (x1, y1) bottom-right."""

    x0: float
    y0: float
    x1: float
    y1: float


Prompt = PointPrompt | BoxPrompt


@dataclass
class ObjectMask:
    """One object's mask on one frame: boolean array of the frame's size (H, W).

    ``confidence`` in [0, 1] is the engine's own belief that a tracked mask is right (predicted IoU
    and object presence, or consistency measures); None where the engine has none. The review
    package combines it with engine-independent cues of the track. ``refound``: the engine had
    lost the object and this mask is where a search of the whole frame found it again (a guess a
    person should check: something of the object's colours may be another thing). ``left_view``:
    the engine followed the object out of the frame; the mask is empty because it is not there, and
    ``confidence`` is how sure the engine is of that.
    """

    object_id: int
    mask: np.ndarray
    score: float | None = None
    confidence: float | None = None
    refound: bool = False
    left_view: bool = False


@dataclass
class KeyFrame:
    """What a person fixed on one frame for one object: the prompts, or an imported/edited mask.

    When ``prompts`` is empty, ``mask`` is the key frame (imported from CVAT/DAVIS or painted).
    With both, ``mask`` is the base the prompts refine: the tracked mask a person corrected.
    """

    object_id: int
    frame_index: int
    prompts: list[Prompt] = field(default_factory=list)
    mask: np.ndarray | None = None


class FrameSource(Protocol):
    """Lazy, random access to the decoded frames of one media item."""

    @property
    def num_frames(self) -> int: ...

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    def read_rgb(self, index: int) -> np.ndarray:
        """Frame ``index`` as an (H, W, 3) uint8 RGB array."""
        ...


class ListFrames:
    """A FrameSource over frames already in memory (scripts, tests, one-frame images)."""

    def __init__(self, frames: Sequence[np.ndarray]) -> None:
        if not frames:
            raise ValueError("ListFrames needs at least one frame")
        self.frames = frames

    @property
    def num_frames(self) -> int:
        return len(self.frames)

    @property
    def width(self) -> int:
        return int(self.frames[0].shape[1])

    @property
    def height(self) -> int:
        return int(self.frames[0].shape[0])

    def read_rgb(self, index: int) -> np.ndarray:
        return self.frames[index]


Direction = Literal["forward", "backward"]
ReplayFn = Callable[[], Sequence[KeyFrame]]


@dataclass(frozen=True)
class ModelInfo:
    """One entry of the model catalogue (``GET /models``)."""

    key: str
    engine: str
    name: str
    available: bool
    reason: str | None = None
    # Models that can be made available on request (checkpoint download through huggingface_hub).
    downloadable: bool = False
    # One line for the model picker: speed class, weights size, gated or not.
    summary: str = ""
    speed: str = ""  # "instant", "fast", "medium", "slow" or "slowest" on a CPU
    weights_mb: int | None = None
    gated: bool = False  # the weights need an accepted licence and a Hub token


class EngineSession(Protocol):
    """Engine-specific state of one media item (an explicit object passed to every engine call)."""

    media_key: str


class SegmentationEngine(abc.ABC):
    """A segmentation + tracking engine. Implementations must be safe to call from two threads:
    the request thread (clicks) and the job worker (propagation)."""

    key: str

    @abc.abstractmethod
    def session(self, media_key: str, frames: FrameSource, replay: ReplayFn) -> EngineSession:
        """The session of a media item, built (calling ``replay``) when not cached."""

    @abc.abstractmethod
    def segment(
        self,
        session: EngineSession,
        frame_index: int,
        object_id: int,
        prompts: Sequence[Prompt],
        base_mask: np.ndarray | None = None,
    ) -> ObjectMask:
        """Set ``prompts`` as the full prompt list of the object on that frame; return its mask.

        ``base_mask`` is the mask the prompts refine (the tracked mask on a frame a person corrects):
        a negative click then removes a part of it instead of starting from nothing.
        An empty list clears the object's prompts on that frame and returns an empty mask.
        Raises ``ValueError`` for a frame out of range or a prompt outside the frame.
        """

    @abc.abstractmethod
    def set_mask(self, session: EngineSession, frame_index: int, object_id: int, mask: np.ndarray) -> None:
        """Use ``mask`` as a key frame of the object (imported or edited mask)."""

    @abc.abstractmethod
    def remove_object(self, session: EngineSession, object_id: int) -> None:
        """Forget the object and all its key frames."""

    @abc.abstractmethod
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
        """Track from ``start_frame`` in ``direction``, yielding each frame's masks as soon as it is
        computed (the start frame itself first). ``max_frames`` bounds the number of frames after the
        start frame. ``start_masks`` are the masks the database holds on the start frame (key frame
        or earlier tracking), for engines that track from a mask rather than from a memory.
        ``may_overlap``: pairs of objects that may share pixels (a part region and its object),
        for an engine that keeps objects apart (besides those whose masks overlap where it starts).
        The caller may stop iterating at any time (cancel)."""

    def forget(self, media_key: str) -> None:  # noqa: B027 - optional hook
        """Drop any cached state of a media item (it was deleted)."""
