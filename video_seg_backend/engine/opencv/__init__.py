"""A weight-free engine on OpenCV: GrabCut for clicks, optical flow + colour models for tracking.

It needs no checkpoint and no GPU, so a fresh offline machine can annotate a video end to end.
Quality is well below SAM 2 (it sees colour and motion, not objects), but a person can correct it
with key frames, which it honours exactly. ``config`` holds the tuning, ``clicks`` turns prompts
into a mask (a box alone: ``box``; one GrabCut step: ``cut`` and ``grabcut``), ``tracking`` carries
masks from frame to frame (``band`` snaps a carried mask to the object's colours, ``histograms``
holds the colour models, ``redetect`` finds a lost object again, ``out_of_view`` tells one that
left the frame, ``apart`` keeps objects apart), ``motion`` reads what moves on its own for boxes
and clicks, ``corrections`` keeps a click's change local, ``engine`` keeps the sessions.
"""

from .config import OpenCVConfig
from .engine import OpenCVEngine, OpenCVSession, build_opencv_engine

__all__ = ["OpenCVConfig", "OpenCVEngine", "OpenCVSession", "build_opencv_engine"]
