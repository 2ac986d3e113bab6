"""The detector contract and the registry that finds built-in and installed detectors by name.

A package adds a detector by declaring an entry point in the ``video_seg_studio.detectors`` group
whose object is a callable (a class or a factory) that returns a :class:`Detector`. In its
``pyproject.toml``::

    [project.entry-points."video_seg_studio.detectors"]
    yolo-person = "my_detectors.yolo:YoloPersonDetector"

After ``pip install my-detectors`` into the studio's environment, ``load_detector("yolo-person")``
builds it (keyword arguments are passed to the callable). Built-in names win over plug-ins, so an
installed package cannot silently replace the offline person detector.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

ENTRY_POINT_GROUP = "video_seg_studio.detectors"


@dataclass(frozen=True)
class Detection:
    """One box in source pixels (x0, y0 top-left, x1, y1 bottom-right), a score in [0, 1] and a label."""

    box: tuple[float, float, float, float]
    score: float
    label: str

    def __post_init__(self) -> None:
        x0, y0, x1, y1 = self.box
        if not (x1 > x0 and y1 > y0):
            raise ValueError(f"Detection box must have x1 > x0 and y1 > y0, got {self.box}")
        if not 0.0 <= self.score <= 1.0:
            raise ValueError(f"Detection score must lie in [0, 1], got {self.score}")


@runtime_checkable
class Detector(Protocol):
    """Finds objects in one RGB frame (H x W x 3, uint8)."""

    def detect(self, rgb: np.ndarray) -> list[Detection]: ...


def _builtin() -> dict[str, Callable[..., Detector]]:
    # Imported here so that listing detectors does not import OpenCV's HOG code path for plug-in users.
    from video_seg_backend.detection.hog import HogPersonDetector

    return {"hog-person": HogPersonDetector}


def _plugins() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def available_detectors() -> list[str]:
    """Names of the built-in detectors followed by those installed packages register, sorted within each."""
    builtin = sorted(_builtin())
    return builtin + sorted(name for name in _plugins() if name not in builtin)


def load_detector(name: str, **kwargs: object) -> Detector:
    """Build the detector registered under ``name``; ``kwargs`` go to its class or factory."""
    builtin = _builtin()
    if name in builtin:
        factory = builtin[name]
    else:
        plugins = _plugins()
        if name not in plugins:
            raise ValueError(f"Unknown detector {name!r}; available: {', '.join(available_detectors())}")
        factory = plugins[name].load()
    detector = factory(**kwargs)
    if not isinstance(detector, Detector):
        raise TypeError(f"Detector {name!r} does not provide detect(rgb) -> list[Detection]")
    return detector
