"""The typed configuration of one training run (what `synface train` and Snakemake scripts pass)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synface.errors import SynfaceError

HEADS = ("arcface", "cosface")
# Far beyond any useful setting (the paper's lr 0.1, scale 30): a typo, which would only diverge
MAX_LR, MAX_SCALE = 10.0, 1000.0
MAX_EPOCHS, MAX_MIN_STEPS = 1000, 10_000_000  # `synface train` refuses more
# A run's epochs: `epochs`, or as many more as reach `min_steps` (one step an epoch at least; Real_1K_10
# trains 1,500): a checkpoint holding more is not one of ours.
MAX_RUN_EPOCHS = max(MAX_EPOCHS, MAX_MIN_STEPS)
# A larger margin is none: ArcFace's cos(θ + m) turns back up once θ + m passes π, and CosFace's
# cos θ - m lies below every other logit's cos θ from m = 2 on
MARGIN_LIMITS = {"arcface": math.pi, "cosface": 2.0}
# Fractions of the epochs after which the LR drops x0.1 (paper: 40 epochs -> 24, 30, 36).
LR_DROP_FRACTIONS = (0.6, 0.75, 0.9)
# Settings that may change between a run and its resumption without changing its result.
RUNTIME_KEYS = ("out", "threads")


@dataclass(frozen=True)
class TrainConfig:
    """One training run.

    Which sets are used: `syn` alone = synthetic training (identity mixup wherever the
    metadata has phi < 1); `real` alone = real-only training; both = domain mixup, an
    epoch being one pass over the synthetic set.
    """

    out: Path
    syn: Path | None = None
    syn_subset: tuple[int, int] | None = None  # (N identities, S images each): Syn_N_S
    real: Path | None = None
    real_subset: tuple[int, int] | None = None  # Real_N_S
    arch: str = "lresnet50e_ir"
    input_hw: tuple[int, int] = (112, 96)
    embedding: int = 512
    head: str = "arcface"
    scale: float | None = None  # the head's logit scale s; None: the head's default
    margin: float | None = None  # the head's margin m; None: the head's default
    epochs: int = 40
    min_steps: int = 0  # floor on SGD steps: a set too small for it at `epochs` trains more epochs
    warmup: float = 0.0  # linear LR warm-up over this fraction of the run's steps
    batch: int = 512
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    seed: int = 0
    threads: int | None = None  # CPU threads; None = all cores
    deterministic: bool = False  # torch.use_deterministic_algorithms for the run

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        for name in ("syn", "real"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, Path(value))
        for name in ("syn_subset", "real_subset", "input_hw"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(int(v) for v in value))
        self.check()

    def check(self) -> None:
        """Raise SynfaceError on settings that cannot make a run."""
        if self.syn is None and self.real is None:
            raise SynfaceError("training needs a synthetic set (--syn), a real set (--real) or both")
        if self.syn_subset is not None and self.syn is None:
            raise SynfaceError("--syn-subset given without --syn")
        if self.real_subset is not None and self.real is None:
            raise SynfaceError("--real-subset given without --real")
        for name in ("syn_subset", "real_subset"):
            value = getattr(self, name)
            if value is not None and (len(value) != 2 or min(value) < 1):
                raise SynfaceError(f"{name} must be two positive integers (N identities, S images), got {value}")
        if len(self.input_hw) != 2 or min(self.input_hw) < 8:
            raise SynfaceError(f"input size must be HxW with both sides >= 8, got {self.input_hw}")
        if self.head not in HEADS:
            raise SynfaceError(f"unknown head {self.head!r}; choose one of {', '.join(HEADS)}")
        for name in ("embedding", "epochs", "batch"):
            if getattr(self, name) < 1:
                raise SynfaceError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.lr <= MAX_LR:  # NaN fails every comparison
            raise SynfaceError(f"lr must be > 0 and at most {MAX_LR:g}, got {self.lr}")
        if self.min_steps < 0:
            raise SynfaceError(f"min_steps must be >= 0, got {self.min_steps}")
        if not 0.0 <= self.warmup <= 0.5:
            raise SynfaceError(f"warmup must be a fraction of the steps in [0, 0.5], got {self.warmup}")
        if self.scale is not None and not 0 < self.scale <= MAX_SCALE:
            raise SynfaceError(f"scale must be > 0 and at most {MAX_SCALE:g}, got {self.scale}")
        limit = MARGIN_LIMITS[self.head]
        if self.margin is not None and not 0 <= self.margin < limit:
            raise SynfaceError(f"margin must be >= 0 and below {limit:.4g} for {self.head}, got {self.margin}")
        if self.threads is not None and self.threads < 1:
            raise SynfaceError(f"threads must be >= 1, got {self.threads}")

    @property
    def domain_mixup(self) -> bool:
        return self.syn is not None and self.real is not None

    def run_epochs(self, steps_per_epoch: int) -> int:
        """Epochs of the run: `epochs`, or more where that leaves fewer than `min_steps` steps."""
        return max(self.epochs, math.ceil(self.min_steps / steps_per_epoch))

    def lr_milestones(self, epochs: int | None = None) -> list[int]:
        """Epochs after which the LR drops x0.1: the first epoch end at or after 60 %, 75 % and 90 % of
        the run's `epochs` (default: the configured ones).

        Short runs can share a milestone (two drops at once), as MultiStepLR allows.
        """
        epochs = self.epochs if epochs is None else epochs
        return [math.ceil(round(f * epochs, 6)) for f in LR_DROP_FRACTIONS]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON/`weights_only`-safe values (paths as strings, tuples as lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SynfaceError(f"unknown training setting(s): {', '.join(unknown)}")
        return cls(**data)

    def result_settings(self) -> dict[str, Any]:
        """The settings that determine the trained weights (everything but runtime knobs)."""
        return {k: v for k, v in self.to_dict().items() if k not in RUNTIME_KEYS}
