"""Fixtures of the SAM 2 engine tests: the random-weight tiny model at 256 and a small synthetic video."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sam2")


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

    def square(self, index: int) -> tuple[int, int, int, int]:
        x0 = 20 + 5 * index
        return x0, 40, x0 + 40, 80

    def read_rgb(self, index: int) -> np.ndarray:
        if not 0 <= index < self._n:
            raise IndexError(index)
        self.reads += 1
        rng = np.random.default_rng(index)
        frame = rng.integers(0, 60, size=(self._h, self._w, 3), dtype=np.uint8)
        x0, y0, x1, y1 = self.square(index)
        frame[y0:y1, x0:x1] = (220, 180, 40)
        return frame


@pytest.fixture(scope="session")
def sam2_settings(tmp_path_factory):
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
def tiny_engine(sam2_settings):
    """One random-weight SAM 2.1 tiny engine at 256 for the whole test session (~2 s to build)."""
    from video_seg_backend.engine.sam2_engine import build_sam2_engine

    torch.set_num_threads(2)
    return build_sam2_engine("sam2.1_hiera_tiny_random", "configs/sam2.1/sam2.1_hiera_t.yaml", None, sam2_settings)


@pytest.fixture
def video() -> SyntheticVideo:
    return SyntheticVideo()
