"""Fixtures of the EdgeTAM engine tests: a random-weight EdgeTAM from the real architecture at 256
and a small synthetic video."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("timm")


class SyntheticVideo:
    """A light square moving right over a dark textured background, generated on demand."""

    def __init__(self, num_frames: int = 12, width: int = 160, height: int = 120) -> None:
        self._n, self._w, self._h = num_frames, width, height
        self.reads = 0

    @property
    def num_frames(self) -> int:
        return self._n

    @property
    def width(self) -> int:
        return self._w

    @property
    def height(self) -> int:
        return self._h

    def read_rgb(self, index: int) -> np.ndarray:
        if not 0 <= index < self._n:
            raise IndexError(index)
        self.reads += 1
        rng = np.random.default_rng(index)
        frame = rng.integers(0, 60, size=(self._h, self._w, 3), dtype=np.uint8)
        x0 = 20 + (5 * index) % 80
        frame[40:80, x0 : x0 + 40] = (220, 180, 40)
        return frame


@pytest.fixture(scope="session")
def edgetam_settings(tmp_path_factory):
    from video_seg_backend.core.config import Settings

    return Settings(
        allow_random_weights=True,
        sam2_image_size=256,
        device="cpu",
        offline=True,
        checkpoint_dir=tmp_path_factory.mktemp("checkpoints"),
        _env_file=None,
    )


@pytest.fixture(scope="session")
def edgetam(edgetam_settings):
    """One random-weight EdgeTAM engine at 256 for the whole test session (~1 s to build)."""
    from video_seg_backend.engine.edgetam_engine import build_edgetam_engine

    torch.set_num_threads(2)
    return build_edgetam_engine("edgetam_random", None, edgetam_settings)


def sibling(engine, **config):
    """A second engine on the same (shared) model with its own sessions and settings."""
    from dataclasses import replace

    from video_seg_backend.engine.edgetam_engine import EdgeTamEngine

    return EdgeTamEngine("sibling", engine.model, engine.processor, replace(engine.config, **config))


@pytest.fixture
def video() -> SyntheticVideo:
    return SyntheticVideo()
