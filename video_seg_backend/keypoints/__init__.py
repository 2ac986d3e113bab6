"""Keypoints and parts: a label's structure (schema.py), tracking points through a video
(tracker.py) and the job that stores what it tracks (job.py)."""
