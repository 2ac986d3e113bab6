"""What the segmentation services raise for a request they cannot serve (routes map them to 4xx)."""

from __future__ import annotations


class PromptError(ValueError):
    """A prompt or tracking request that cannot be applied; the message tells the person what to change."""


class ModelUnavailable(LookupError):
    """The requested model cannot run here (unknown, no checkpoint, offline)."""
