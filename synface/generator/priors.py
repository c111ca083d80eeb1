"""Coefficient priors: how λ is drawn, factor by factor.

DiscoFaceGAN decodes N(0, I) latents into λ with learned decoders, so its samples are
mostly frontal, mostly neutral or smiling, under varied but natural light. These priors
give the same character directly in λ space. Angles are in radians; light is raw
second-order SH (9 bands x RGB, band-major).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synface.generator import lam


@dataclass(frozen=True)
class Priors:
    """Per-factor distributions; each method draws `n` rows from the given Generator."""

    yaw_std_deg: float = 18.0
    yaw_max_deg: float = 40.0
    pitch_std_deg: float = 6.0
    pitch_max_deg: float = 15.0
    roll_std_deg: float = 4.0
    roll_max_deg: float = 10.0
    p_neutral: float = 0.45  # else smiling with p_smile, else a free expression
    p_smile: float = 0.4
    expression_jitter: float = 0.15
    free_expression_std: float = 0.6
    smile_index: int = lam.EXPRESSION_SMILE
    ambient: tuple[float, float] = (0.75, 1.05)  # SH band-0 intensity range
    tint: float = 0.05  # per-channel colour variation of natural light
    # SH band-1 mean (y, z, x terms): light comes on average from above (sky, ceilings: gamma_1 < 0
    # lights upward-facing normals) and from the camera's side (photographers face the light)
    directional_mean: tuple[float, float, float] = (-0.2, 0.1, 0.0)
    directional_std: float = 0.14  # SH band-1 (light direction) spread; larger leaves half-black faces
    detail_std: float = 0.08  # SH band-2

    def identity(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.standard_normal((n, lam.IDENTITY_DIM)).astype(np.float32)

    def expression(self, rng: np.random.Generator, n: int) -> np.ndarray:
        kind = rng.random(n)
        coeffs = rng.normal(0.0, self.expression_jitter, (n, lam.EXPRESSION_DIM))
        free = rng.normal(0.0, self.free_expression_std, (n, lam.EXPRESSION_DIM))
        smile = rng.uniform(0.4, 1.3, n)
        is_free = kind >= self.p_neutral + self.p_smile
        coeffs[is_free] = free[is_free]
        is_smile = (kind >= self.p_neutral) & ~is_free
        coeffs[is_smile, self.smile_index] = smile[is_smile]
        coeffs[:, lam.EXPRESSION_JAW_OPEN] = np.abs(coeffs[:, lam.EXPRESSION_JAW_OPEN])  # a jaw only opens
        return coeffs.astype(np.float32)

    def pose(self, rng: np.random.Generator, n: int) -> np.ndarray:
        stds = np.deg2rad([self.yaw_std_deg, self.pitch_std_deg, self.roll_std_deg])
        limits = np.deg2rad([self.yaw_max_deg, self.pitch_max_deg, self.roll_max_deg])
        return np.clip(rng.normal(0.0, stds, (n, 3)), -limits, limits).astype(np.float32)

    def illumination(self, rng: np.random.Generator, n: int) -> np.ndarray:
        intensity = rng.uniform(*self.ambient, (n, 1, 1))
        colour = 1.0 + rng.uniform(-self.tint, self.tint, (n, 1, 3))
        sh = np.concatenate(
            [
                np.ones((n, 1, 1)),
                rng.normal(np.array(self.directional_mean)[:, None], self.directional_std, (n, 3, 1)),
                rng.normal(0.0, self.detail_std, (n, 5, 1)),
            ],
            axis=1,
        )
        return (sh * intensity * colour).reshape(n, -1).astype(np.float32)

    def noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.standard_normal((n, lam.NOISE_DIM)).astype(np.float32)
