"""The LResNet-E-IR family's registry and input-size helpers (no torch: the CLI imports this)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from synface.errors import SynfaceError


@dataclass(frozen=True)
class Architecture:
    """Blocks per stage (4) and channels of the stem and the four stages (5)."""

    blocks: tuple[int, int, int, int]
    channels: tuple[int, int, int, int, int]

    @property
    def depth(self) -> int:
        """Weighted layers: stem conv + two convs per IR block + the embedding Linear."""
        return 2 + 2 * sum(self.blocks)


# Names follow the depth (the "50" of LResNet50E-IR counts stem + 2x24 convs + fc).
MAX_EMBEDDING = 4096  # `synface train --embedding` and a model file's refuse more (the paper's is 512)

ARCHITECTURES: dict[str, Architecture] = {
    "lresnet50e_ir": Architecture((3, 4, 14, 3), (64, 64, 128, 256, 512)),  # the paper's model
    "lresnet18e_ir": Architecture((2, 2, 2, 2), (64, 64, 128, 256, 512)),
    "lresnet10e_ir": Architecture((1, 1, 1, 1), (16, 16, 32, 64, 128)),
    "lresnet10e_ir_tiny": Architecture((1, 1, 1, 1), (8, 8, 16, 32, 64)),  # ~40x32 inputs on CPU
}


def architecture_names() -> list[str]:
    """The registered architecture names, in registry order."""
    return list(ARCHITECTURES)


def feature_map_size(input_hw: tuple[int, int]) -> tuple[int, int]:
    """Spatial size after the four stride-2 stages: ceil(x / 2) four times (= x // 16 for 112x96).

    The official code uses `x // 16`, which is the same for multiples of 16 but too
    small otherwise; a 3x3 stride-2 pad-1 conv maps x to ceil(x / 2).
    """
    h, w = input_hw
    for _ in range(4):
        h, w = math.ceil(h / 2), math.ceil(w / 2)
    return h, w


def parse_input_hw(text: str) -> tuple[int, int]:
    """Parse 'HxW' (e.g. '112x96') into (H, W) of positive ints."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match or int(match[1]) < 1 or int(match[2]) < 1:
        raise SynfaceError(f"input size {text!r} is not HxW with positive integers, e.g. 112x96")
    return int(match[1]), int(match[2])
