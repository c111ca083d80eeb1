"""Where training and embedding run: CUDA when present (bf16 backbone), else CPU; channels_last on both."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch


def pick_device(threads: int | None = None) -> torch.device:
    """CUDA if available; otherwise the CPU, using `threads` intra-op threads (default: all cores)."""
    if torch.cuda.is_available():
        torch.backends.cudnn.benchmark = True
        return torch.device("cuda")
    torch.set_num_threads(threads or os.cpu_count() or 1)
    return torch.device("cpu")


def backbone_autocast(device: torch.device) -> contextlib.AbstractContextManager[object]:
    """bf16 autocast for the backbone on CUDA; the margin head stays fp32 (outside this context)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def prepare_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """Move a backbone to `device` in channels_last layout: faster convolutions on cuDNN and on
    oneDNN (the CPU; `synface bench train` measured ~20 % more images/s for the embedded model)."""
    return model.to(device).to(memory_format=torch.channels_last)


def prepare_input(x: torch.Tensor) -> torch.Tensor:
    """Match the backbone's memory layout."""
    return x.contiguous(memory_format=torch.channels_last)


@contextlib.contextmanager
def deterministic_mode(enabled: bool) -> Iterator[None]:
    """torch.use_deterministic_algorithms for the duration of a run, restored afterwards."""
    before = torch.are_deterministic_algorithms_enabled()
    if not enabled or before:  # nothing to switch: the call costs seconds (it imports torch._dynamo)
        yield
        return
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(False)


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work (for honest timings)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
