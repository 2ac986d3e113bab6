"""Where and in what precision SAM 2 computes: the device (CUDA, MPS, CPU) and bf16 autocast."""

from __future__ import annotations

import torch


def select_device(preference: str = "auto") -> torch.device:
    """CUDA, then Apple MPS, then CPU; ``preference`` other than "auto" forces one (ValueError if absent)."""
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ValueError("The device is set to cuda, but PyTorch sees no CUDA GPU on this machine.")
    if preference == "mps" and not torch.backends.mps.is_available():
        raise ValueError("The device is set to mps, but Apple's Metal (MPS) is not available here.")
    return torch.device(preference)


Autocast = tuple[str, torch.dtype]


def native_bf16(device: torch.device) -> bool:
    """Whether ``device`` computes bf16 in hardware (emulated bf16 is slower than float32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":  # private helpers of torch.cpu: absent in some versions, then float32
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(torch.cpu, name, lambda: False)() for name in checks)
    return False


def select_autocast(device: torch.device, precision: str = "auto") -> Autocast | None:
    """The autocast the model runs under: (device type, bf16), or None for float32. "auto" takes bf16
    where ``device`` has it natively; "bf16" forces it (ValueError on MPS, which is not tried)."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        if device.type not in ("cuda", "cpu"):
            raise ValueError(f"The precision is set to bf16, which runs on cuda and cpu, not on {device.type}.")
        return (device.type, torch.bfloat16)
    return (device.type, torch.bfloat16) if native_bf16(device) else None
