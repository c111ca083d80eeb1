"""Model summary: state_dict key shapes, parameter count and multiply-accumulates per image."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from synface.models.lresnet import build_backbone

TRAIN_FLOP_PER_MAC = 6  # a multiply-add is 2 FLOP, in the forward pass and in each of the two gradients


@dataclass(frozen=True)
class Summary:
    keys: list[tuple[str, tuple[int, ...]]]  # every state_dict entry (parameters and buffers)
    parameters: int  # learnable parameters only (BN running statistics excluded)
    macs: int  # per image, Conv2d and Linear only

    def lines(self) -> list[str]:
        rows = [f"{name} ({', '.join(map(str, shape))})" for name, shape in self.keys]
        rows.append(f"parameters: {self.parameters:,} ({self.parameters / 1e6:.2f} M)")
        rows.append(f"MACs per image (Conv2d + Linear): {self.macs:,} ({self.macs / 1e9:.3f} G)")
        return rows


def conv_macs(conv: nn.Conv2d, outputs: int) -> int:
    """Multiply-accumulates of `conv` producing `outputs` values (each sums in/groups channels x kernel)."""
    kh, kw = conv.kernel_size
    return outputs * (conv.in_channels // conv.groups) * kh * kw


def count_macs(model: nn.Module, input_hw: tuple[int, int]) -> int:
    """Multiply-accumulates of one forward pass on one 3-channel image.

    Counts Conv2d and Linear layers (hooks on their outputs); BatchNorm, PReLU and
    the residual additions are elementwise and ignored (well under 1% here).
    """
    total = 0

    def conv_hook(module: nn.Conv2d, _inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        total += conv_macs(module, out[0].numel())

    def linear_hook(module: nn.Linear, _inputs: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
        nonlocal total
        total += out[0].numel() * module.in_features

    hooks = [
        m.register_forward_hook(conv_hook if isinstance(m, nn.Conv2d) else linear_hook)
        for m in model.modules()
        if isinstance(m, (nn.Conv2d, nn.Linear))
    ]
    was_training = model.training
    try:
        model.eval()  # BatchNorm1d would refuse a batch of one in training mode
        with torch.no_grad():
            model(torch.zeros(1, 3, *input_hw))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total


def summarize(model: nn.Module, input_hw: tuple[int, int]) -> Summary:
    keys = [(name, tuple(t.shape)) for name, t in model.state_dict().items()]
    parameters = sum(p.numel() for p in model.parameters())
    return Summary(keys, parameters, count_macs(model, input_hw))


def train_flop_per_image(arch: str, input_hw: tuple[int, int]) -> float:
    """FLOP of one training image through backbone `arch` (forward and backward, Conv2d and Linear)."""
    return TRAIN_FLOP_PER_MAC * count_macs(build_backbone(arch, input_hw), input_hw)
