"""Stored uint8 images as model input: the test transform of the official code, shared by training and embedding.

Images are normalised to [-1, 1] (ToTensor, Normalize(0.5, 0.5)) and, when the store is larger
than the model input, area-downscaled; `check_input_size` refuses a store that cannot be brought
to the model's input by downscaling alone.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from synface.errors import SynfaceError

ASPECT_TOLERANCE = 0.02  # relative; stored and model aspect ratios must agree this closely


def check_input_size(stored_hw: tuple[int, int], input_hw: tuple[int, int], where: str) -> None:
    """Raise unless stored images can be brought to the model's input size by downscaling alone."""
    (hs, ws), (h, w) = stored_hw, input_hw
    if hs < h or ws < w:
        raise SynfaceError(f"{where}: images are {hs}x{ws}, smaller than the model input {h}x{w}")
    if abs((hs / ws) / (h / w) - 1) > ASPECT_TOLERANCE:
        raise SynfaceError(f"{where}: images are {hs}x{ws}, aspect ratio does not match the model input {h}x{w}")


def to_model_input(images: torch.Tensor, input_hw: tuple[int, int]) -> torch.Tensor:
    """uint8 (B, Hs, Ws, 3) -> float (B, 3, H, W) in [-1, 1], area-downscaled when the store is larger.

    Area interpolation (box averaging) is the anti-aliased choice for shrinking;
    normalising first is equivalent because both steps are linear.
    """
    x = images.permute(0, 3, 1, 2).float().mul_(1 / 127.5).sub_(1.0)
    if tuple(x.shape[-2:]) != tuple(input_hw):
        x = F.interpolate(x, size=input_hw, mode="area")
    return x.contiguous()
