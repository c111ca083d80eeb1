"""The LResNet-E-IR backbone family: the paper's LResNet50E-IR and smaller members for CPU.

The module layout (attribute names, Sequential positions, shapes) matches the
official SynFace code, `lib/models/resnets.py` of github.com/haibo-qiu/SynFace
(classes `BlockIR`, `LResNet`, factory `LResNet50E_IR`), so the authors' released
checkpoints load with `strict=True`:

    conv1, bn1, prelu1                       3x3 stride-1 stem
    layer{1..4}.{j}.bn1/conv1/bn2/prelu1/conv2/bn3[/downsample.0/.1]
    fc.0 BN2d, fc.1 Dropout(0.5), fc.2 Flatten, fc.3 Linear, fc.4 BN1d

One class covers the whole family, parametrised by blocks per stage, channels
(stem + four stages), input size and embedding size.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy._core.multiarray as _multiarray
import torch
from torch import nn

from synface.errors import SynfaceError
from synface.models.architectures import ARCHITECTURES, Architecture, architecture_names, feature_map_size


class BlockIR(nn.Module):
    """Improved residual unit: BN -> conv3x3 -> BN -> PReLU -> conv3x3 (stride) -> BN, + shortcut."""

    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inplanes)
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.prelu1 = nn.PReLU(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        # The official code projects the shortcut on every stage's first block (stride 2 there) with a
        # 1x1 convolution of that stride. Here it is every stride-th pixel, then a 1x1 of stride 1: the
        # same function and weights, but never oneDNN's strided 1x1 weight gradient, which in channels_last
        # writes past its workspace when the input has fewer channels than its SIMD block (8 on AVX2, 16
        # on AVX-512: the tiny model's 8) and returns wrong gradients, hangs or crashes
        # (uxlfoundation/oneDNN#6035; tests/unit/test_models.py checks the gradients at 4 channels, below every block).
        self.stride = stride
        self.downsample = (
            nn.Sequential(nn.Conv2d(inplanes, planes, 1, bias=False), nn.BatchNorm2d(planes))
            if stride != 1 or inplanes != planes
            else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.bn3(self.conv2(self.prelu1(self.bn2(self.conv1(self.bn1(x))))))
        if self.downsample is None:
            return out + x
        return out + self.downsample(x[:, :, :: self.stride, :: self.stride])


class LResNetIR(nn.Module):
    """LResNet-E-IR: stem, four stride-2 stages of IR blocks, BN-Dropout-FC-BN embedding head."""

    def __init__(
        self,
        arch: Architecture,
        input_hw: tuple[int, int] = (112, 96),
        embedding: int = 512,
    ) -> None:
        super().__init__()
        if len(arch.blocks) != 4 or len(arch.channels) != 5 or min(arch.blocks) < 1:
            raise SynfaceError(f"architecture needs 4 stages of >= 1 block and 5 channel counts, got {arch}")
        if min(input_hw) < 1 or embedding < 1:
            raise SynfaceError(f"input size {input_hw} and embedding {embedding} must be positive")
        self.input_hw = tuple(input_hw)
        ch = arch.channels
        self.conv1 = nn.Conv2d(3, ch[0], 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(ch[0])
        self.prelu1 = nn.PReLU(ch[0])
        for i, n_blocks in enumerate(arch.blocks):
            blocks = [BlockIR(ch[i], ch[i + 1], stride=2)]
            blocks += [BlockIR(ch[i + 1], ch[i + 1], stride=1) for _ in range(n_blocks - 1)]
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        fh, fw = feature_map_size(input_hw)
        self.fc = nn.Sequential(
            nn.BatchNorm2d(ch[4]),
            nn.Dropout(p=0.5),
            nn.Flatten(),
            nn.Linear(ch[4] * fh * fw, embedding),
            nn.BatchNorm1d(embedding),
        )
        # Same initialisation as the official code.
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.prelu1(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x)


def build_backbone(arch: str, input_hw: tuple[int, int] = (112, 96), embedding: int = 512) -> LResNetIR:
    """Build a registered architecture for images of size `input_hw` (H, W)."""
    if arch not in ARCHITECTURES:
        raise SynfaceError(f"unknown architecture {arch!r}; known: {', '.join(architecture_names())}")
    return LResNetIR(ARCHITECTURES[arch], input_hw, embedding)


def _unwrap(state: Mapping[str, object]) -> Mapping[str, object]:
    """The backbone weights inside a checkpoint: official files hold {'state_dict': ..., 'classifier': ...}."""
    for key in ("state_dict", "backbone"):
        if isinstance(state.get(key), Mapping):
            state = state[key]
            break
    # DataParallel / DistributedDataParallel prefix every key with 'module.'.
    if state and all(isinstance(k, str) and k.startswith("module.") for k in state):
        state = {k.removeprefix("module."): v for k, v in state.items()}
    return state


def _shape(value: object) -> tuple[int, ...] | str:
    return tuple(value.shape) if isinstance(value, torch.Tensor) else type(value).__name__


def _listing(keys: list[str], limit: int = 6) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f", ... ({len(keys) - limit} more)" if len(keys) > limit else "")


def load_backbone_state(model: nn.Module, state: Mapping[str, object], source: str = "checkpoint") -> None:
    """Load weights strictly; raise SynfaceError naming missing, unexpected and mis-shaped keys.

    Accepts a bare state_dict, the official checkpoint dict ('state_dict' key) or
    one with a 'backbone' key, with or without DataParallel's 'module.' prefix.
    """
    if not isinstance(state, Mapping):
        raise SynfaceError(f"{source}: expected a state_dict mapping, got {type(state).__name__}")
    state = _unwrap(state)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    mis_shaped = [
        f"{k} {_shape(state[k])} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and _shape(state[k]) != tuple(v.shape)
    ]
    if missing or unexpected or mis_shaped:
        problems = [
            f"{label}: {_listing(keys)}"
            for label, keys in (
                ("missing", missing),
                ("unexpected", unexpected),
                ("shape mismatch", mis_shaped),
            )
            if keys
        ]
        raise SynfaceError(f"{source} does not fit the model; " + "; ".join(problems))
    model.load_state_dict(state, strict=True)


# Checkpoints may hold a numpy float64 (official train.py: 'perf', the LFW accuracy); numpy 1.x
# pickles name its constructor numpy.core.multiarray.scalar, numpy 2 also names the dtype class.
_CHECKPOINT_GLOBALS = [
    np.dtype,
    np.dtypes.Float64DType,
    _multiarray.scalar,
    (_multiarray.scalar, "numpy.core.multiarray.scalar"),
]


def load_backbone_checkpoint(model: nn.Module, path: str | Path) -> None:
    """Load backbone weights from a file written by torch.save (this project's or the official one)."""
    try:
        with torch.serialization.safe_globals(_CHECKPOINT_GLOBALS):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:  # not torch.save output, or objects beyond tensors and containers
        raise SynfaceError(f"{path}: not a weights-only PyTorch checkpoint") from err
    except (OSError, RuntimeError, EOFError) as err:  # missing or truncated
        raise SynfaceError(f"{path}: cannot read checkpoint ({str(err) or type(err).__name__})") from err
    load_backbone_state(model, state, source=str(path))
