"""Identities of the stand-in real domain: richer than the synthetic generator's, with habits.

Every random draw comes from its own counter-based stream keyed by (seed, domain tag,
dataset, stream, identity, image), like `synface.generator.sampling`: an identity's
coefficients and an image's pixels depend only on those keys, never on batch or shard
split. The extra domain tag keeps these streams apart from every synthetic stream, and the
dataset key keeps stand-in CASIA, stand-in LFW and Syn-LFW identities disjoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synface.errors import SynfaceError
from synface.realdomain.priors import RealPriors

_DOMAIN_TAG = 0x5EA1  # streams of this package; synthetic keys have no such field
DATASETS = {"real-train": 1, "lfw": 2, "syn-lfw": 3}
PER_IDENTITY = -1

# stream numbers
S_IDENTITY, S_HABITS, S_COUNT, S_FOLDER = 1, 2, 3, 4
(S_POSE, S_EXPRESSION, S_SCENE, S_NOISE, S_APPEARANCE, S_ACCESSORY, S_BACKGROUND, S_CAMERA, S_SENSOR, S_LANDMARK) = (
    range(10, 20)
)
S_PAIRS = 30

# CASIA-WebFace: 494,414 images of 10,575 identities; web-crawled counts are heavily skewed.
CASIA_MEAN_IMAGES = 494_414 / 10_575
CASIA_MIN_IMAGES, CASIA_MAX_IMAGES = 2, 804
COUNT_SIGMA = 1.1  # log-normal spread; see docs/stand_in_real_domain.md


@dataclass(frozen=True)
class RealDomainSettings:
    """What defines a stand-in real dataset: seed, which dataset, extra identity detail, priors."""

    seed: int = 0
    dataset: str = "real-train"
    extra_shape: int = 40
    extra_texture: int = 40
    priors: RealPriors = field(default_factory=RealPriors)

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise SynfaceError(f"unknown stand-in dataset {self.dataset!r}; choose one of {', '.join(DATASETS)}")
        if self.extra_shape < 0 or self.extra_texture < 0:
            raise SynfaceError("extra identity component counts must be >= 0")


def stream_rng(
    settings: RealDomainSettings, stream: int, identity: int, image: int = PER_IDENTITY
) -> np.random.Generator:
    key = [settings.seed, _DOMAIN_TAG, DATASETS[settings.dataset], stream, identity, image + 1]
    return np.random.default_rng(key)


@dataclass(frozen=True)
class Identity:
    """One person: coefficients (shared model, extra detail) and persistent habits."""

    coefficients: np.ndarray  # (160,) the synthetic generator's identity part of λ
    extra_shape: np.ndarray  # (E_s,) finer detail the synthetic generator cannot express
    extra_texture: np.ndarray  # (E_t,)
    p_glasses: float  # chance that a photo shows glasses
    glasses_style: np.ndarray  # (5,) rim darkness, rim width, lens tint, lens darkness, frame hue
    p_hat: float
    makeup: float  # 0: never; else typical make-up strength
    lip_colour: np.ndarray  # (3,) albedo offset of this person's lipstick
    shadow_colour: np.ndarray  # (3,) eye-shadow offset
    stubble: float  # typical stubble darkness
    age: float  # 0 young .. 1 old


def identity(settings: RealDomainSettings, index: int) -> Identity:
    rng = stream_rng(settings, S_IDENTITY, index)
    coefficients = settings.priors.identity(rng)
    extra_shape = rng.standard_normal(settings.extra_shape).astype(np.float32)
    extra_texture = rng.standard_normal(settings.extra_texture).astype(np.float32)
    h = stream_rng(settings, S_HABITS, index)
    wearer = h.random() < 0.15  # regular spectacle wearers; others only now and then (sunglasses)
    hat_wearer = h.random() < 0.05
    makeup = float(h.uniform(0.3, 1.0)) if h.random() < 0.4 else 0.0
    lip = np.array([0.10, -0.05, -0.02]) + h.normal(0.0, [0.04, 0.02, 0.02])  # red .. pink .. brown
    shadow = -np.array([0.10, 0.09, 0.06]) * h.uniform(0.5, 1.5) + h.normal(0.0, 0.03, 3)
    return Identity(
        coefficients=coefficients,
        extra_shape=extra_shape,
        extra_texture=extra_texture,
        p_glasses=0.8 if wearer else 0.04,
        glasses_style=np.array(
            [h.uniform(0.5, 1.0), h.uniform(0.6, 1.6), h.uniform(0.05, 0.2), h.uniform(0.6, 0.95), h.uniform(0.0, 1.0)]
        ),
        p_hat=0.5 if hat_wearer else 0.02,
        makeup=makeup,
        lip_colour=lip,
        shadow_colour=shadow,
        stubble=0.0 if makeup else float(h.uniform(0.0, 1.0)),
        age=float(h.uniform(0.0, 1.0)),
    )


def _count_mu() -> float:
    """Log-location of the image-count law whose clipped, rounded mean is CASIA's 46.8."""
    z = np.linspace(-8, 8, 20001)
    w = np.exp(-0.5 * z * z)
    w /= w.sum()

    def mean(mu: float) -> float:
        return float((np.clip(np.rint(np.exp(mu + COUNT_SIGMA * z)), CASIA_MIN_IMAGES, CASIA_MAX_IMAGES) * w).sum())

    lo, hi = 0.0, 6.0
    for _ in range(60):  # bisection: the mean grows with mu
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if mean(mid) < CASIA_MEAN_IMAGES else (lo, mid)
    return 0.5 * (lo + hi)


_COUNT_MU = _count_mu()


def image_count(settings: RealDomainSettings, index: int) -> int:
    """Images of identity `index` in stand-in CASIA: discretised log-normal, clipped to [2, 804]."""
    z = stream_rng(settings, S_COUNT, index).standard_normal()
    return int(np.clip(np.rint(np.exp(_COUNT_MU + COUNT_SIGMA * z)), CASIA_MIN_IMAGES, CASIA_MAX_IMAGES))


def real_train_counts(n_ids: int, seed: int = 0) -> np.ndarray:
    """Per-identity image counts of a stand-in CASIA-WebFace of `n_ids` identities (long-tailed)."""
    if n_ids < 1:
        raise SynfaceError(f"stand-in CASIA needs at least one identity, got {n_ids}")
    settings = RealDomainSettings(seed=seed, dataset="real-train")
    return np.array([image_count(settings, i) for i in range(n_ids)], np.int64)
