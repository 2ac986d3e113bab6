"""Evaluation core shared by the scripts, the tests and the engines: DAVIS J/F, clicks, mask reading."""

from video_seg_backend.evaluation.clicker import mask_box, next_click
from video_seg_backend.evaluation.metrics import (
    db_statistics,
    dice,
    f_measure,
    jaccard,
    seg2bmap,
)

__all__ = ["db_statistics", "dice", "f_measure", "jaccard", "mask_box", "next_click", "seg2bmap"]
