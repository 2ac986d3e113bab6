"""Which models exist, which can run here, and one shared engine per model.

Listing the catalogue never imports torch or touches the network: it only looks for checkpoint
files. Engines are built on first ``get`` (a SAM 2.1 model takes seconds to load) and shared by every
request and job after that.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from functools import cached_property
from pathlib import Path

from ..core.config import Settings
from .base import ModelInfo, SegmentationEngine
from .checkpoints import (
    SAM2_BY_KEY,
    SAM2_SPECS,
    ProgressFn,
    download_checkpoint,
    find_checkpoint,
    is_offline,
    unavailable_reason,
)

logger = logging.getLogger(__name__)

OPENCV_KEY = "opencv"
RANDOM_TINY_KEY = "sam2.1_hiera_tiny_random"
_RANDOM_TINY_CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"


class ModelRegistry:
    """The model catalogue of one ``Settings``, and the loaded engines (thread-safe, each loaded once)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engines: dict[str, SegmentationEngine] = {}
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}
        # Why the last download of a model failed, shown in the catalogue until one succeeds.
        self._download_errors: dict[str, str] = {}

    @cached_property
    def device(self) -> str:
        """The device SAM 2 runs on: "cuda", "mps" or "cpu" ("cpu" without PyTorch)."""
        if not _sam2_installed():
            return "cpu"
        from .sam2_device import select_device

        try:
            return select_device(self.settings.device).type
        except ValueError as error:  # the forced device is absent: loading a model will say so too
            logger.warning("%s", error)
            return self.settings.device

    @cached_property
    def precision(self) -> str:
        """What SAM 2 computes in on that device: "bf16" (autocast) or "fp32"."""
        if not _sam2_installed():
            return "fp32"
        from .sam2_device import select_autocast, select_device

        try:
            autocast = select_autocast(select_device(self.settings.device), self.settings.precision)
            return "fp32" if autocast is None else "bf16"
        except ValueError as error:  # a forced device or precision that cannot run: loading says so too
            logger.warning("%s", error)
            return self.settings.precision

    def catalogue(self) -> list[ModelInfo]:
        models = [ModelInfo(key=OPENCV_KEY, engine="opencv", name="OpenCV (no weights)", available=True)]
        sam2_missing = None if _sam2_installed() else "The sam2 package (and PyTorch) is not installed."
        offline = is_offline(self.settings)
        for spec in SAM2_SPECS:
            reason = sam2_missing or unavailable_reason(spec, self.settings)
            if reason is not None and spec.key in self._download_errors:
                reason = f"The last download failed ({self._download_errors[spec.key]}). {reason}"
            models.append(
                ModelInfo(
                    key=spec.key,
                    engine="sam2",
                    name=spec.name,
                    available=reason is None,
                    reason=reason,
                    downloadable=reason is not None and sam2_missing is None and not offline,
                )
            )
        if self.settings.allow_random_weights:
            models.append(
                ModelInfo(
                    key=RANDOM_TINY_KEY,
                    engine="sam2",
                    name="SAM 2.1 Hiera Tiny, random weights (tests only)",
                    available=sam2_missing is None,
                    reason=sam2_missing,
                )
            )
        return models

    def info(self, key: str) -> ModelInfo:
        for model in self.catalogue():
            if model.key == key:
                return model
        known = ", ".join(m.key for m in self.catalogue())
        raise ValueError(f"Unknown model {key!r}; the models are: {known}.")

    def default_key(self) -> str:
        """``settings.default_model`` when it is available, else the largest SAM 2.1 model with a
        checkpoint here, else the OpenCV engine."""
        catalogue = self.catalogue()
        available = {m.key for m in catalogue if m.available}
        wanted = self.settings.default_model
        if wanted:
            if wanted in available:
                return wanted
            logger.warning("The default model %r is not available here; choosing another.", wanted)
        for spec in SAM2_SPECS:  # largest first
            if spec.key in available:
                return spec.key
        return OPENCV_KEY

    def get(self, key: str) -> SegmentationEngine:
        """The engine of ``key``, loaded on first use and shared after. ``ValueError`` says why a model
        cannot be used (unknown key, no checkpoint, offline)."""
        engine = self._engines.get(key)
        if engine is not None:
            return engine
        info = self.info(key)
        if not info.available:
            raise ValueError(f"Model {key} is not available: {info.reason}")
        with self._lock:
            load_lock = self._load_locks.setdefault(key, threading.Lock())
        with load_lock:  # one load per model; loading one model does not hold up another
            engine = self._engines.get(key)
            if engine is None:
                engine = self._load(key)
                self._engines[key] = engine
            return engine

    def download(self, key: str, progress: ProgressFn | None = None) -> Path:
        """Fetch a SAM 2.1 checkpoint (the ``download-model`` job); a no-op when it is already here.
        ``progress(done_bytes, total_bytes)`` is called as bytes arrive. RuntimeError when offline."""
        spec = SAM2_BY_KEY.get(key)
        if spec is None:
            raise ValueError(f"Model {key!r} has no checkpoint to download.")
        try:
            path = download_checkpoint(spec, self.settings, progress)
        except Exception as exc:
            self._download_errors[key] = str(exc) or exc.__class__.__name__
            raise
        self._download_errors.pop(key, None)
        return path

    def loaded(self) -> list[str]:
        return list(self._engines)

    def _load(self, key: str) -> SegmentationEngine:
        if key == OPENCV_KEY:
            from .opencv import OpenCVEngine

            return OpenCVEngine()
        from .sam2_device import select_device
        from .sam2_engine import build_sam2_engine

        device = select_device(self.settings.device)  # a forced device that is absent: its own sentence
        if key == RANDOM_TINY_KEY:
            logger.warning("Loading %s: SAM 2.1 tiny with RANDOM weights (tests only)", key)
            return build_sam2_engine(key, _RANDOM_TINY_CONFIG, None, self.settings, device=device)
        spec = SAM2_BY_KEY[key]
        checkpoint = find_checkpoint(spec, self.settings)
        if checkpoint is None:  # removed since the catalogue was read
            raise ValueError(f"Model {key} is not available: {unavailable_reason(spec, self.settings)}")
        logger.info("Loading %s on %s from %s", key, device, checkpoint)
        try:
            return build_sam2_engine(key, spec.config, checkpoint, self.settings, device=device)
        except Exception as error:  # a truncated or foreign checkpoint file (pickle, zip, key errors)
            detail = (str(error).strip().splitlines() or [""])[0][:200]
            raise ValueError(
                f"Model {key} could not be loaded from {checkpoint} ({type(error).__name__}: {detail}); "
                "delete the file and download it again."
            ) from error


def _sam2_installed() -> bool:
    return importlib.util.find_spec("sam2") is not None and importlib.util.find_spec("torch") is not None
