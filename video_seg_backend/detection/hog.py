"""OpenCV's HOG + linear SVM people detector: ships inside OpenCV, so people can be found offline."""

from __future__ import annotations

import cv2
import numpy as np

from video_seg_backend.detection.base import Detection


class HogPersonDetector:
    """Dalal-Triggs pedestrian detector (``cv2.HOGDescriptor.getDefaultPeopleDetector``).

    The window is 64 x 128 px, so a person must be at least ~128 px tall at the working size.
    """

    label = "person"

    def __init__(
        self,
        *,
        max_side: int = 640,  # working size: 854x480 DAVIS frames run at ~0.75 scale; larger costs ~quadratic time
        win_stride: int = 8,  # window step in px; 4 finds a few more people at ~4x the time
        scale: float = 1.05,  # pyramid step; 1.03 finds a few more people at ~1.7x the time
        hit_threshold: float = 0.0,  # SVM margin below which windows are dropped before grouping
        nms_iou: float = 0.45,  # overlapping boxes above this IoU are merged after OpenCV's grouping
        min_score: float = 0.0,
    ) -> None:
        if max_side < 128:
            raise ValueError(f"max_side must be at least 128 (the HOG window height), got {max_side}")
        if scale <= 1.0:
            raise ValueError(f"scale must be above 1, got {scale}")
        self.max_side = max_side
        self.win_stride = win_stride
        self.scale = scale
        self.hit_threshold = hit_threshold
        self.nms_iou = nms_iou
        self.min_score = min_score
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor.getDefaultPeopleDetector())

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"detect expects an H x W x 3 uint8 RGB frame, got {rgb.shape} {rgb.dtype}")
        height, width = rgb.shape[:2]
        factor = min(1.0, self.max_side / max(height, width))
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if factor < 1.0:
            gray = cv2.resize(gray, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA)
        rects, weights = self._hog.detectMultiScale(
            gray,
            hitThreshold=self.hit_threshold,
            winStride=(self.win_stride, self.win_stride),
            padding=(8, 8),
            scale=self.scale,
        )
        if len(rects) == 0:
            return []
        margins = np.clip(np.asarray(weights, dtype=np.float64).reshape(-1), 0.0, None)
        # SVM margins are unbounded; m / (1 + m) maps them into [0, 1) keeping their order (1.0 -> 0.5).
        scores = margins / (1.0 + margins)
        keep = cv2.dnn.NMSBoxes(
            [[int(v) for v in r] for r in rects], scores.tolist(), float(self.min_score), float(self.nms_iou)
        )
        detections = []
        for i in sorted(np.asarray(keep).reshape(-1).tolist(), key=lambda k: (-scores[k], k)):
            x, y, w, h = (float(v) / factor for v in rects[i])
            x0, y0 = max(0.0, x), max(0.0, y)
            x1, y1 = min(float(width), x + w), min(float(height), y + h)
            if x1 > x0 and y1 > y0:
                detections.append(Detection((x0, y0, x1, y1), float(scores[i]), self.label))
        return detections
