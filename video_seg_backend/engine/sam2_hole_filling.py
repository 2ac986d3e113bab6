"""sam2.1's hole filling on any install: connected components without sam2's CUDA extension.

sam2.1 fills holes of up to 8 low-res pixels in every mask it predicts, with connected components
from its optional ``_C`` extension (built only with nvcc, and for GPU tensors only); without it sam2
warns and skips the step. OpenCV computes the same components for the other cases.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch


def connected_components(mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """sam2's ``get_connected_components``: for (N, 1, H, W) binary masks, each pixel's 8-connected
    component label and that component's area (both 0 off the mask). sam2's CUDA kernel for masks on
    a GPU when its extension is built, else OpenCV (the kernel cannot take CPU tensors)."""
    if mask.is_cuda and _sam2_extension() is not None:
        return _sam2_extension().get_connected_componnets(mask.to(torch.uint8).contiguous())
    binary = mask.to(torch.uint8).cpu().numpy()
    labels = np.zeros(binary.shape, dtype=np.int32)
    areas = np.zeros(binary.shape, dtype=np.int32)
    for i in range(binary.shape[0]):
        _, labels[i, 0], stats, _ = cv2.connectedComponentsWithStats(binary[i, 0], connectivity=8, ltype=cv2.CV_32S)
        area = stats[:, cv2.CC_STAT_AREA].astype(np.int32)
        area[0] = 0  # OpenCV's label 0: the pixels off the mask
        areas[i, 0] = area[labels[i, 0]]
    return torch.from_numpy(labels).to(mask.device), torch.from_numpy(areas).to(mask.device)


def _sam2_extension() -> Any:
    """sam2's compiled ``_C`` module, or None (sam2 built with SAM2_BUILD_CUDA=0, as we install it)."""
    try:
        from sam2 import _C
    except ImportError:
        return None
    return _C


def patch_sam2_connected_components() -> None:
    """Route sam2's hole filling through ``connected_components``, which works on any install."""
    import sam2.utils.misc

    sam2.utils.misc.get_connected_components = connected_components
