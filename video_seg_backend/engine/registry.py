"""Which models exist, which can run here, and one shared engine per model.

Listing the catalogue never imports torch or touches the network: it only looks for checkpoint
files. Engines are built on first ``get`` (a SAM 2.1 model takes seconds to load) and shared by every
request and job after that. Three engines: OpenCV (no weights), EdgeTAM (transformers + timm) and
SAM 2.1 (the ``sam2`` package); each entry of the catalogue says in a line how fast it is, how large
its weights are and whether they are gated.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import re
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.config import Settings
from .base import ModelInfo, SegmentationEngine
from .checkpoints import (
    EDGETAM,
    GATED_MESSAGE,
    SAM2_BY_KEY,
    SAM2_SPECS,
    SAM3,
    ProgressFn,
    download_checkpoint,
    download_edgetam,
    download_sam3,
    edgetam_unavailable_reason,
    find_checkpoint,
    find_edgetam,
    hf_token,
    is_offline,
    sam3_unavailable_reason,
    unavailable_reason,
)

if TYPE_CHECKING:
    from .sam3_engine import Sam3ConceptEngine

logger = logging.getLogger(__name__)

OPENCV_KEY = "opencv"
RANDOM_TINY_KEY = "sam2.1_hiera_tiny_random"
_RANDOM_TINY_CONFIG = "configs/sam2.1/sam2.1_hiera_t.yaml"
EDGETAM_KEY = EDGETAM.key
RANDOM_EDGETAM_KEY = "edgetam_random"
SAM3_KEY = SAM3.key
RANDOM_SAM3_KEY = "sam3_random"
# SAM 3 answers concept prompts (text), not clicks: the click and tracking paths never load it.
CONCEPT_KEYS = frozenset({SAM3_KEY, RANDOM_SAM3_KEY})

# Speeds measured by scripts/bench_engine.py on a 2-thread laptop-class CPU at 1024 px.
_OPENCV_SUMMARY = "Instant on any CPU, no weights: GrabCut clicks and optical-flow tracking, rough edges."
_EDGETAM_SUMMARY = (
    "Fast: SAM 2's clicks and tracking with a mobile encoder, 3 to 5 times as fast as SAM 2.1 Tiny on a CPU "
    "(DAVIS 2017 J&F 87.7); {mb} MB of weights from {repo}, not gated."
)
_SAM2_SUMMARY = "{speed} on a CPU, best on a GPU; {mb} MB of weights from {repo}, not gated."
_SAM3_SUMMARY = (
    'Concept prompts: finds every instance of a few words ("person") on a frame; slowest on a CPU, '
    "{mb} MB of weights from {repo}, gated ({gated})."
)


class ModelRegistry:
    """The model catalogue of one ``Settings``, and the loaded engines (thread-safe, each loaded once)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engines: dict[str, SegmentationEngine] = {}
        self._concept_engines: dict[str, Sam3ConceptEngine] = {}
        self._lock = threading.Lock()
        self._load_locks: dict[str, threading.Lock] = {}
        # Why the last download of a model failed, shown in the catalogue until one succeeds.
        self._download_errors: dict[str, str] = {}

    @cached_property
    def device(self) -> str:
        """The device the models run on: "cuda", "mps" or "cpu" ("cpu" without PyTorch)."""
        if not _installed("torch"):
            return "cpu"
        from .sam2_device import select_device

        try:
            return select_device(self.settings.device).type
        except ValueError as error:  # the forced device is absent: loading a model will say so too
            logger.warning("%s", error)
            return self.settings.device

    @cached_property
    def precision(self) -> str:
        """What the models compute in on that device: "bf16" (autocast) or "fp32"."""
        if not _installed("torch"):
            return "fp32"
        from .sam2_device import select_autocast, select_device

        try:
            autocast = select_autocast(select_device(self.settings.device), self.settings.precision)
            return "fp32" if autocast is None else "bf16"
        except ValueError as error:  # a forced device or precision that cannot run: loading says so too
            logger.warning("%s", error)
            return self.settings.precision

    def importable_engines(self) -> list[str]:
        """The engines whose packages are installed (found, not imported)."""
        engines = ["opencv"] if _installed("cv2") else []
        if _edgetam_missing() is None:
            engines.append("edgetam")
        if _sam2_missing() is None:
            engines.append("sam2")
        if _sam3_missing() is None:
            engines.append("sam3")
        return engines

    def catalogue(self) -> list[ModelInfo]:
        models = [
            ModelInfo(
                key=OPENCV_KEY,
                engine="opencv",
                name="OpenCV (no weights)",
                available=True,
                summary=_OPENCV_SUMMARY,
                speed="instant",
                weights_mb=0,
            )
        ]
        offline = is_offline(self.settings)
        edgetam_missing = _edgetam_missing()
        reason = edgetam_missing or edgetam_unavailable_reason(EDGETAM, self.settings)
        models.append(
            ModelInfo(
                key=EDGETAM.key,
                engine="edgetam",
                name=EDGETAM.name,
                available=reason is None,
                reason=self._with_download_error(EDGETAM.key, reason),
                downloadable=reason is not None and edgetam_missing is None and not offline,
                summary=_EDGETAM_SUMMARY.format(mb=EDGETAM.approx_mb, repo=EDGETAM.hf_repo),
                speed=EDGETAM.speed,
                weights_mb=EDGETAM.approx_mb,
            )
        )
        sam2_missing = _sam2_missing()
        for spec in SAM2_SPECS:
            reason = sam2_missing or unavailable_reason(spec, self.settings)
            models.append(
                ModelInfo(
                    key=spec.key,
                    engine="sam2",
                    name=spec.name,
                    available=reason is None,
                    reason=self._with_download_error(spec.key, reason),
                    downloadable=reason is not None and sam2_missing is None and not offline,
                    summary=_SAM2_SUMMARY.format(speed=spec.speed.capitalize(), mb=spec.approx_mb, repo=spec.hf_repo),
                    speed=spec.speed,
                    weights_mb=spec.approx_mb,
                )
            )
        sam3_missing = _sam3_missing()
        reason = sam3_missing or sam3_unavailable_reason(SAM3, self.settings)
        models.append(
            ModelInfo(
                key=SAM3.key,
                engine="sam3",
                name=SAM3.name,
                available=reason is None,
                reason=self._with_download_error(SAM3.key, reason),
                # Only with a token: without one the Hub refuses a gated repository anyway.
                downloadable=reason is not None and sam3_missing is None and not offline and hf_token() is not None,
                summary=_SAM3_SUMMARY.format(mb=SAM3.approx_mb, repo=SAM3.hf_repo, gated=GATED_MESSAGE),
                speed=SAM3.speed,
                weights_mb=SAM3.approx_mb,
                gated=True,
            )
        )
        if self.settings.allow_random_weights:
            models.append(
                ModelInfo(
                    key=RANDOM_SAM3_KEY,
                    engine="sam3",
                    name="SAM 3, tiny random weights (tests only)",
                    available=sam3_missing is None,
                    reason=sam3_missing,
                    summary="SAM 3's modules at toy sizes with random weights, for tests: what it finds means nothing.",
                    speed="fast",
                    weights_mb=0,
                )
            )
            models.append(
                ModelInfo(
                    key=RANDOM_TINY_KEY,
                    engine="sam2",
                    name="SAM 2.1 Hiera Tiny, random weights (tests only)",
                    available=sam2_missing is None,
                    reason=sam2_missing,
                    summary="SAM 2.1 Tiny's architecture with random weights, for tests: its masks mean nothing.",
                    speed="medium",
                    weights_mb=0,
                )
            )
            models.append(
                ModelInfo(
                    key=RANDOM_EDGETAM_KEY,
                    engine="edgetam",
                    name="EdgeTAM, random weights (tests only)",
                    available=edgetam_missing is None,
                    reason=edgetam_missing,
                    summary="EdgeTAM's architecture with random weights, for tests: its masks mean nothing.",
                    speed="fast",
                    weights_mb=0,
                )
            )
        return models

    def _with_download_error(self, key: str, reason: str | None) -> str | None:
        if reason is not None and key in self._download_errors:
            return f"The last download failed ({self._download_errors[key]}). {reason}"
        return reason

    def info(self, key: str) -> ModelInfo:
        for model in self.catalogue():
            if model.key == key:
                return model
        known = ", ".join(m.key for m in self.catalogue())
        raise ValueError(f"Unknown model {key!r}; the models are: {known}.")

    def default_key(self) -> str:
        """``settings.default_model`` when it is available; else, on a machine without a GPU, EdgeTAM
        when its weights are here (SAM 2.1 tracks at a third of its speed on a CPU); else the largest
        SAM 2.1 model with a checkpoint here, else EdgeTAM, else the OpenCV engine."""
        catalogue = self.catalogue()
        available = {m.key for m in catalogue if m.available}
        wanted = self.settings.default_model
        if wanted:
            if wanted in available and wanted not in CONCEPT_KEYS:
                return wanted
            logger.warning("The default model %r is not available here; choosing another.", wanted)
        if self.device == "cpu" and EDGETAM_KEY in available:
            return EDGETAM_KEY
        for spec in SAM2_SPECS:  # largest first
            if spec.key in available:
                return spec.key
        return EDGETAM_KEY if EDGETAM_KEY in available else OPENCV_KEY

    def get(self, key: str) -> SegmentationEngine:
        """The engine of ``key``, loaded on first use and shared after. ``ValueError`` says why a model
        cannot be used (unknown key, no checkpoint, offline)."""
        engine = self._engines.get(key)
        if engine is not None:
            return engine
        if key in CONCEPT_KEYS:
            raise ValueError(
                f"Model {key} finds instances of a concept (text prompts); clicks and tracking need another model."
            )
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
        """Fetch a model's weights (the ``download-model`` job); a no-op when they are already here.
        ``progress(done_bytes, total_bytes)`` is called as bytes arrive. RuntimeError when offline."""
        spec = SAM2_BY_KEY.get(key)
        if spec is None and key not in (EDGETAM_KEY, SAM3_KEY):
            raise ValueError(f"Model {key!r} has no checkpoint to download.")
        try:
            if key == SAM3_KEY:
                path = download_sam3(SAM3, self.settings, progress)
            elif spec is None:
                path = download_edgetam(EDGETAM, self.settings, progress)
            else:
                path = download_checkpoint(spec, self.settings, progress)
        except Exception as exc:
            self._download_errors[key] = str(exc) or exc.__class__.__name__
            raise
        self._download_errors.pop(key, None)
        return path

    def loaded(self) -> list[str]:
        return list(self._engines)

    # --- SAM 3: concept prompts -----------------------------------------------------------------
    def concept_key(self) -> str | None:
        """The SAM 3 model to use here: the real one when its weights are here, else the random one
        where tests allow it, else None."""
        available = {m.key for m in self.catalogue() if m.available and m.engine == "sam3"}
        for key in (SAM3_KEY, RANDOM_SAM3_KEY):
            if key in available:
                return key
        return None

    def sam3_available(self) -> bool:
        return self.concept_key() is not None

    def concept_engine(self) -> Sam3ConceptEngine:
        """SAM 3, loaded on first use; ValueError says why it cannot run (gated, offline, not installed)."""
        key = self.concept_key()
        if key is None:
            raise ValueError(f"SAM 3 is not available: {self.info(SAM3_KEY).reason}")
        with self._lock:
            load_lock = self._load_locks.setdefault(key, threading.Lock())
        with load_lock:
            engine = self._concept_engines.get(key)
            if engine is None:
                engine = self._load_sam3(key)
                self._concept_engines[key] = engine
            return engine

    def _load_sam3(self, key: str) -> Sam3ConceptEngine:
        from .sam2_device import select_device
        from .sam3_engine import build_sam3_engine

        device = select_device(self.settings.device)
        if key == RANDOM_SAM3_KEY:
            logger.warning("Loading %s: a tiny SAM 3 with RANDOM weights (tests only)", key)
            return build_sam3_engine(key, None, self.settings, device=device)
        weights = find_edgetam(SAM3, self.settings)
        if weights is None:
            raise ValueError(f"Model {key} is not available: {sam3_unavailable_reason(SAM3, self.settings)}")
        try:
            return build_sam3_engine(key, weights, self.settings, device=device)
        except Exception as error:  # a partial download, a config of another model, missing tokenizer files
            detail = (str(error).strip().splitlines() or [""])[0][:200]
            raise ValueError(
                f"Model {key} could not be loaded from {weights} ({type(error).__name__}: {detail}); "
                "delete the folder and download it again."
            ) from error

    def _load(self, key: str) -> SegmentationEngine:
        if key == OPENCV_KEY:
            from .opencv import OpenCVEngine

            return OpenCVEngine()
        from .sam2_device import select_device

        device = select_device(self.settings.device)  # a forced device that is absent: its own sentence
        if key in (EDGETAM_KEY, RANDOM_EDGETAM_KEY):
            return self._load_edgetam(key, device)
        from .sam2_engine import build_sam2_engine

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

    def _load_edgetam(self, key: str, device: Any) -> SegmentationEngine:
        from .edgetam_engine import build_edgetam_engine

        if key == RANDOM_EDGETAM_KEY:
            logger.warning("Loading %s: EdgeTAM with RANDOM weights (tests only)", key)
            return build_edgetam_engine(key, None, self.settings, device=device)
        weights = find_edgetam(EDGETAM, self.settings)
        if weights is None:  # removed since the catalogue was read
            raise ValueError(f"Model {key} is not available: {edgetam_unavailable_reason(EDGETAM, self.settings)}")
        logger.info("Loading %s on %s from %s", key, device, weights)
        try:
            return build_edgetam_engine(key, weights, self.settings, device=device)
        except Exception as error:  # truncated safetensors, a config of another model, missing keys
            detail = (str(error).strip().splitlines() or [""])[0][:200]
            raise ValueError(
                f"Model {key} could not be loaded from {weights} ({type(error).__name__}: {detail}); "
                "delete the folder and download it again."
            ) from error


def _installed(*packages: str) -> bool:
    return all(importlib.util.find_spec(name) is not None for name in packages)


def _sam2_missing() -> str | None:
    return None if _installed("sam2", "torch") else "The sam2 package (and PyTorch) is not installed."


def _sam3_missing() -> str | None:
    """SAM 3 needs transformers 5.x (which carries Sam3Model) and PyTorch."""
    if not _installed("torch", "transformers"):
        return "SAM 3 needs PyTorch and transformers 5: install them (pip install transformers)."
    spec = importlib.util.find_spec("transformers")  # found, not imported: importing takes seconds
    package = Path(spec.origin).parent if spec is not None and spec.origin else None
    if package is None or not (package / "models" / "sam3" / "modeling_sam3.py").is_file():
        return f"transformers {importlib.metadata.version('transformers')} has no SAM 3: upgrade it."
    return None


def _edgetam_missing() -> str | None:
    """EdgeTAM needs transformers (5.x, with EdgeTAM) and timm (its RepViT backbone)."""
    if not _installed("torch", "transformers", "timm"):
        return "EdgeTAM needs PyTorch, transformers and timm: install them (pip install transformers timm)."
    version = importlib.metadata.version("transformers")
    major_minor = tuple(int(part) for part in re.findall(r"\d+", version)[:2])
    if major_minor < (5, 0):  # the EdgeTAM video session this engine drives is transformers 5's
        return f"transformers {version} is too old for EdgeTAM here: upgrade it to 5.0 or later."
    return None
