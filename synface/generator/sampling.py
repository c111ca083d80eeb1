"""Sampling λ for a synthetic dataset: identity mixup (eq. 1) and the factor modes.

Every draw comes from its own stream keyed by (seed, factor, identity) and is taken for
all of the identity's images at once, so an image's λ depends only on (seed, identity
index, image index, settings), never on batch size, shard split or core count.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synface.errors import SynfaceError
from synface.generator import lam
from synface.generator.priors import Priors

FACTORS = ("expression", "illumination", "pose", "noise")
# The paper's attribute analysis: which factors are drawn per image (the rest once per identity).
FACTOR_MODES: dict[str, tuple[str, ...]] = {
    "all": FACTORS,
    "none": (),
    "expression": ("expression",),
    "illumination": ("illumination",),
    "pose": ("pose",),
}
PHI_GRID = np.round(np.arange(21) * 0.05, 2)  # {0, 0.05, ..., 1.0}

_STREAM_IDENTITY = 1
_STREAM_MIXUP = 2
_STREAM_FACTOR = {name: 10 + n for n, name in enumerate(FACTORS)}


@dataclass(frozen=True)
class GenerationSettings:
    """What defines a synthetic set: its width (ids), depth (per_id), IM, factor mode, seed."""

    n_ids: int
    per_id: int
    identity_mixup: bool = True
    factor: str = "all"
    seed: int = 0
    priors: Priors = Priors()

    def __post_init__(self) -> None:
        if self.n_ids < 1 or self.per_id < 1:
            raise SynfaceError(f"identity and image counts must be positive, got ids={self.n_ids} per_id={self.per_id}")
        if self.factor not in FACTOR_MODES:
            raise SynfaceError(f"unknown factor mode {self.factor!r}; choose one of {', '.join(FACTOR_MODES)}")
        if self.identity_mixup and self.per_id > self.n_ids - 1:
            raise SynfaceError(
                f"identity mixup needs a distinct partner per image: per_id={self.per_id} "
                f"exceeds the {self.n_ids - 1} other identities"
            )


def _rng(settings: GenerationSettings, stream: int, identity: int) -> np.random.Generator:
    return np.random.default_rng([settings.seed, stream, identity])


@functools.lru_cache(maxsize=1 << 16)
def identity_coefficients(settings: GenerationSettings, identity: int) -> np.ndarray:
    """The 160-d identity part of λ (80 shape + 80 texture) of one identity."""
    return settings.priors.identity(_rng(settings, _STREAM_IDENTITY, identity), 1)[0]


def mixup_labels(settings: GenerationSettings, identity: int) -> tuple[np.ndarray, np.ndarray]:
    """Partners k (distinct, != identity) and ratios φ of the identity's images (official IM).

    Without IM every φ is 1 and the partner is the identity itself.
    """
    if not settings.identity_mixup:
        return np.full(settings.per_id, identity), np.ones(settings.per_id)
    rng = _rng(settings, _STREAM_MIXUP, identity)
    partners = rng.choice(settings.n_ids - 1, size=settings.per_id, replace=False)
    partners = partners + (partners >= identity)  # skip the identity itself
    phi = PHI_GRID[rng.integers(0, len(PHI_GRID), size=settings.per_id)]
    return partners, phi


def factor_coefficients(settings: GenerationSettings, factor: str, identity: int) -> np.ndarray:
    """One factor's coefficients (per_id, dim) for the identity's images, per the factor mode.

    Row 0 of the identity's stream is its fixed value, rows 1.. its per-image values, so
    switching a factor between fixed and varying changes nothing else.
    """
    draws = getattr(settings.priors, factor)(_rng(settings, _STREAM_FACTOR[factor], identity), settings.per_id + 1)
    if factor in FACTOR_MODES[settings.factor]:
        return draws[1:]
    return np.repeat(draws[:1], settings.per_id, axis=0)


def mix_identities(settings: GenerationSettings, identity: int, partners: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Identity parts (n, 160) of λ under identity mixup (eq. 1): φ·own + (1 − φ)·partner's."""
    own = identity_coefficients(settings, identity)
    mates = np.stack([identity_coefficients(settings, int(k)) for k in partners])
    return phi[:, None] * own + (1 - phi[:, None]) * mates


def identity_lambdas(settings: GenerationSettings, identity: int) -> tuple[np.ndarray, pd.DataFrame]:
    """λ (per_id, 286) of one identity's images and their soft labels (identity, image, partner, phi)."""
    partners, phi = mixup_labels(settings, identity)
    out = np.empty((settings.per_id, lam.LAMBDA_DIM), np.float32)
    out[:, lam.IDENTITY] = mix_identities(settings, identity, partners, phi)
    for factor in FACTORS:
        out[:, lam.FACTOR_SLICES[factor]] = factor_coefficients(settings, factor, identity)
    labels = pd.DataFrame(
        {
            "identity": identity,
            "image": np.arange(settings.per_id),
            "partner": partners if settings.identity_mixup else -1,
            "phi": phi,
        }
    )
    return out, labels
