"""Model weights: found in ``settings.checkpoint_dir`` or downloaded once with huggingface_hub.

SAM 2.1 comes as one ``.pt`` file per size (``sam2``'s format); EdgeTAM as a folder in transformers'
format (``config.json`` and ``model.safetensors``) under ``checkpoint_dir / EDGETAM.folder``.

Nothing here touches the network at import time or while the catalogue is listed; a download only
happens when the job layer runs :func:`download_checkpoint` (a ``download-model`` job) with a
progress callback. Offline (``settings.offline`` or ``HF_HUB_OFFLINE=1``) a model without a local
checkpoint is unavailable, with a reason a person can act on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.config import Settings

logger = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]  # (done_bytes, total_bytes); total 0 while unknown


@dataclass(frozen=True)
class Sam2Spec:
    """One SAM 2.1 size: its hydra config inside the ``sam2`` package and its published checkpoint."""

    key: str
    name: str
    config: str
    hf_repo: str
    filename: str
    approx_mb: int  # size of the checkpoint, for the catalogue and the download job
    speed: str = "slow"  # speed class on a CPU, for the catalogue


# Largest first: the default model is the first one with a checkpoint.
SAM2_SPECS: tuple[Sam2Spec, ...] = (
    Sam2Spec(
        "sam2.1_hiera_large",
        "SAM 2.1 Hiera Large",
        "configs/sam2.1/sam2.1_hiera_l.yaml",
        "facebook/sam2.1-hiera-large",
        "sam2.1_hiera_large.pt",
        898,
        "slowest",
    ),
    Sam2Spec(
        "sam2.1_hiera_base_plus",
        "SAM 2.1 Hiera Base+",
        "configs/sam2.1/sam2.1_hiera_b+.yaml",
        "facebook/sam2.1-hiera-base-plus",
        "sam2.1_hiera_base_plus.pt",
        324,
        "slow",
    ),
    Sam2Spec(
        "sam2.1_hiera_small",
        "SAM 2.1 Hiera Small",
        "configs/sam2.1/sam2.1_hiera_s.yaml",
        "facebook/sam2.1-hiera-small",
        "sam2.1_hiera_small.pt",
        185,
        "medium",
    ),
    Sam2Spec(
        "sam2.1_hiera_tiny",
        "SAM 2.1 Hiera Tiny",
        "configs/sam2.1/sam2.1_hiera_t.yaml",
        "facebook/sam2.1-hiera-tiny",
        "sam2.1_hiera_tiny.pt",
        156,
        "medium",
    ),
)
SAM2_BY_KEY = {spec.key: spec for spec in SAM2_SPECS}


@dataclass(frozen=True)
class EdgeTamSpec:
    """EdgeTAM in transformers' format on the Hugging Face Hub."""

    key: str
    name: str
    hf_repo: str
    folder: str  # under checkpoint_dir
    files: tuple[str, ...]  # what loading needs; the weights file last (the one with progress)
    approx_mb: int
    speed: str


# transformers' EdgeTAM configs name "yonigozlan/EdgeTAM-hf" as their checkpoint (the port by the
# transformers maintainer who added the model; Meta's facebook/EdgeTAM holds the original .pt, and its
# transformers weights sit in an unmerged pull request). 13.9M parameters in float32: ~56 MB.
EDGETAM = EdgeTamSpec(
    key="edgetam",
    name="EdgeTAM",
    hf_repo="yonigozlan/EdgeTAM-hf",
    folder="EdgeTAM-hf",
    files=("config.json", "model.safetensors"),
    approx_mb=56,
    speed="fast",
)


def is_offline(settings: Settings) -> bool:
    """Downloads are off: ``settings.offline`` or huggingface_hub's own ``HF_HUB_OFFLINE``."""
    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return settings.offline or env in {"1", "true", "yes", "on"}


def find_checkpoint(spec: Sam2Spec, settings: Settings) -> Path | None:
    """The local checkpoint file of ``spec``: the checkpoint folder first, then huggingface_hub's cache
    (a file downloaded by another tool counts, offline too). No network access."""
    local = Path(settings.checkpoint_dir) / spec.filename
    if local.is_file():
        return local
    return _hf_cached(spec)


def _hf_cached(spec: Sam2Spec) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(repo_id=spec.hf_repo, filename=spec.filename)
    except Exception:  # an unreadable or missing cache is simply "not cached"
        return None
    if isinstance(cached, str) and Path(cached).is_file():
        return Path(cached)
    return None


def unavailable_reason(spec: Sam2Spec, settings: Settings) -> str | None:
    """Why ``spec`` cannot be loaded now (None when its checkpoint is here)."""
    if find_checkpoint(spec, settings) is not None:
        return None
    where = Path(settings.checkpoint_dir) / spec.filename
    if is_offline(settings):
        return (
            f"No checkpoint at {where} and downloads are off (offline mode): copy {spec.filename} "
            f"there, or turn offline mode off to download it from {spec.hf_repo}."
        )
    return f"Checkpoint not downloaded yet: download {spec.filename} (~{spec.approx_mb} MB) from {spec.hf_repo}."


def download_checkpoint(spec: Sam2Spec, settings: Settings, progress: ProgressFn | None = None) -> Path:
    """Download the checkpoint into ``settings.checkpoint_dir`` (resumable, a no-op when present),
    calling ``progress(done_bytes, total_bytes)`` as bytes arrive. Raises ``RuntimeError`` offline."""
    found = find_checkpoint(spec, settings)
    if found is not None:
        if progress is not None:
            size = found.stat().st_size
            progress(size, size)
        return found
    if is_offline(settings):
        raise RuntimeError(unavailable_reason(spec, settings))

    from huggingface_hub import hf_hub_download

    target = Path(settings.checkpoint_dir)
    target.mkdir(parents=True, exist_ok=True)
    logger.info("Downloading %s from %s into %s", spec.filename, spec.hf_repo, target)
    path = hf_hub_download(
        repo_id=spec.hf_repo,
        filename=spec.filename,
        local_dir=target,
        tqdm_class=_progress_bar_class(progress) if progress is not None else None,
    )
    return Path(path)


def _progress_bar_class(progress: ProgressFn) -> type:
    """A tqdm class that huggingface_hub drives and that reports to ``progress`` instead of a console."""
    from tqdm.auto import tqdm

    class _CallbackProgress(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["disable"] = True  # no console output; we count bytes ourselves
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self._done = int(kwargs.get("initial") or 0)  # type: ignore[call-overload]
            self._total = int(kwargs.get("total") or 0)  # type: ignore[call-overload]
            progress(self._done, self._total)

        def update(self, n: float | None = 1) -> bool | None:
            self._done += int(n or 0)
            progress(self._done, self._total)
            return None

    return _CallbackProgress


def find_edgetam(spec: EdgeTamSpec, settings: Settings) -> Path | None:
    """The local folder of EdgeTAM's weights: ``checkpoint_dir / spec.folder`` first, then
    huggingface_hub's cache (a snapshot downloaded by another tool counts). No network access."""
    local = Path(settings.checkpoint_dir) / spec.folder
    if all((local / name).is_file() for name in spec.files):
        return local
    return _hf_cached_folder(spec)


def _hf_cached_folder(spec: EdgeTamSpec) -> Path | None:
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = [try_to_load_from_cache(repo_id=spec.hf_repo, filename=name) for name in spec.files]
    except Exception:  # an unreadable or missing cache is simply "not cached"
        return None
    if all(isinstance(c, str) and Path(c).is_file() for c in cached):
        folders = {Path(str(c)).parent for c in cached}
        if len(folders) == 1:  # one snapshot holds them all
            return folders.pop()
    return None


def edgetam_unavailable_reason(spec: EdgeTamSpec, settings: Settings) -> str | None:
    """Why EdgeTAM cannot be loaded now (None when its weights are here)."""
    if find_edgetam(spec, settings) is not None:
        return None
    where = Path(settings.checkpoint_dir) / spec.folder
    files = " and ".join(spec.files)
    if is_offline(settings):
        return (
            f"No weights in {where} and downloads are off (offline mode): copy {files} of {spec.hf_repo} "
            "there, or turn offline mode off to download them."
        )
    return f"Weights not downloaded yet: download {files} (~{spec.approx_mb} MB) from {spec.hf_repo}."


def download_edgetam(spec: EdgeTamSpec, settings: Settings, progress: ProgressFn | None = None) -> Path:
    """Download EdgeTAM's files into ``checkpoint_dir / spec.folder`` (resumable, a no-op when present),
    calling ``progress(done_bytes, total_bytes)`` as the weights arrive. Raises ``RuntimeError`` offline."""
    found = find_edgetam(spec, settings)
    if found is not None:
        if progress is not None:
            size = sum((found / name).stat().st_size for name in spec.files)
            progress(size, size)
        return found
    if is_offline(settings):
        raise RuntimeError(edgetam_unavailable_reason(spec, settings))

    from huggingface_hub import hf_hub_download

    target = Path(settings.checkpoint_dir) / spec.folder
    target.mkdir(parents=True, exist_ok=True)
    logger.info("Downloading %s from %s into %s", ", ".join(spec.files), spec.hf_repo, target)
    *small, weights = spec.files
    try:
        for name in small:  # a few kB each: no progress to show
            hf_hub_download(repo_id=spec.hf_repo, filename=name, local_dir=target)
        hf_hub_download(
            repo_id=spec.hf_repo,
            filename=weights,
            local_dir=target,
            tqdm_class=_progress_bar_class(progress) if progress is not None else None,
        )
    except Exception as error:  # unreachable Hub, DNS, a proxy: say what to do, keep the cause
        raise RuntimeError(
            f"Could not download {spec.hf_repo} from the Hugging Face Hub ({error}). Check the connection, "
            f"or copy {' and '.join(spec.files)} into {target}."
        ) from error
    return target


# --- SAM 3: concept prompts ("person", "red car"); gated weights --------------------------------------
# Meta's transformers-format release. Gated: the Hub serves it only to an account that accepted the
# licence, with that account's token (HF_TOKEN). 848M parameters in float32: ~3.4 GB.
SAM3 = EdgeTamSpec(
    key="sam3",
    name="SAM 3 (concept prompts)",
    hf_repo="facebook/sam3",
    folder="sam3",
    files=("config.json", "model.safetensors"),
    approx_mb=3450,
    speed="slowest",
)
GATED_MESSAGE = "needs a Hugging Face token with access"


def hf_token() -> str | None:
    """The Hub token this process would send (HF_TOKEN or a ``huggingface-cli login``); no network."""
    token = os.environ.get("HF_TOKEN", "").strip()
    if token:
        return token
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # no huggingface_hub, or an unreadable token file: no token
        return None


def sam3_unavailable_reason(spec: EdgeTamSpec, settings: Settings) -> str | None:
    """Why SAM 3 cannot be loaded now (None when its weights are here). The local folder is looked
    at first, then huggingface_hub's cache; the token is only looked for, never tried, here."""
    if find_edgetam(spec, settings) is not None:
        return None
    where = Path(settings.checkpoint_dir) / spec.folder
    gated = (
        f"{spec.hf_repo} is gated: it {GATED_MESSAGE} (accept the licence on "
        f"https://huggingface.co/{spec.hf_repo}, then set HF_TOKEN)"
    )
    if is_offline(settings):
        return f"No weights in {where} and downloads are off (offline mode). {gated}, or copy its files there."
    if hf_token() is None:
        return f"No weights in {where}, and no Hugging Face token: {gated}."
    return f"Weights not downloaded yet: download {spec.hf_repo} (~{spec.approx_mb} MB; gated, {GATED_MESSAGE})."


def download_sam3(spec: EdgeTamSpec, settings: Settings, progress: ProgressFn | None = None) -> Path:
    """Download SAM 3's repository (model, config, processor, tokenizer) into ``checkpoint_dir /
    spec.folder`` with the token; a refused token says so in the words the catalogue uses."""
    found = find_edgetam(spec, settings)
    if found is not None:
        return found
    if is_offline(settings):
        raise RuntimeError(sam3_unavailable_reason(spec, settings))
    token = hf_token()
    if token is None:
        raise RuntimeError(
            f"{spec.hf_repo} {GATED_MESSAGE}: set HF_TOKEN to a token of an account that accepted its licence."
        )

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    target = Path(settings.checkpoint_dir) / spec.folder
    try:
        snapshot_download(
            repo_id=spec.hf_repo, local_dir=target, token=token, allow_patterns=["*.json", "*.txt", "*.safetensors"],
            tqdm_class=_progress_bar_class(progress) if progress is not None else None,
        )  # fmt: skip
    except (GatedRepoError, RepositoryNotFoundError) as error:
        raise RuntimeError(f"The Hub refused the token for {spec.hf_repo}: it {GATED_MESSAGE} ({error}).") from error
    except Exception as error:
        raise RuntimeError(
            f"Could not download {spec.hf_repo} from the Hugging Face Hub ({error}). Check the connection, "
            f"or copy the repository's files into {target}."
        ) from error
    return target
