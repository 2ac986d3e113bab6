"""The OpenCV engine's names where callers have always imported them; the code is in ``engine/opencv/``."""

from .opencv.clicks import segment_prompts
from .opencv.config import OpenCVConfig
from .opencv.engine import OpenCVEngine, OpenCVSession, build_opencv_engine

__all__ = ["OpenCVConfig", "OpenCVEngine", "OpenCVSession", "build_opencv_engine", "segment_prompts"]
