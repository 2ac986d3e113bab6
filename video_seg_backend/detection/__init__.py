"""Detectors (a weight-free HOG person detector and installed plug-ins) and linking detections into tracks."""

from video_seg_backend.detection.base import (
    ENTRY_POINT_GROUP,
    Detection,
    Detector,
    available_detectors,
    load_detector,
)
from video_seg_backend.detection.tracks import Track, link_tracks

__all__ = [
    "ENTRY_POINT_GROUP",
    "Detection",
    "Detector",
    "Track",
    "available_detectors",
    "link_tracks",
    "load_detector",
]
