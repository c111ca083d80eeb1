"""Nuisance priors of the stand-in real domain: web photographs rather than GAN samples.

Every number here comes from reasoning about real web photos (docs/stand_in_real_domain.md
gives the reason for each); none was tuned on a recognition result. Angles are degrees in
the fields and radians in the draws; light is raw second-order SH (9 bands x RGB, band-major),
the convention of `synface.generator.priors.Priors`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synface.errors import SynfaceError
from synface.generator import lam

# Scene types: probability, illuminant colour in camera RGB relative to daylight white balance
# (G = 1), range of the directional SH strength relative to the ambient term, exposure range.
SCENES: dict[str, dict] = {
    "daylight": dict(p=0.40, colour=(0.95, 1.0, 1.08), directional=(0.10, 0.40), exposure=(0.75, 1.25)),
    "tungsten": dict(p=0.25, colour=(1.35, 1.0, 0.55), directional=(0.05, 0.30), exposure=(0.45, 0.95)),
    "fluorescent": dict(p=0.15, colour=(0.90, 1.0, 0.80), directional=(0.02, 0.15), exposure=(0.55, 1.00)),
    "flash": dict(p=0.20, colour=(1.0, 1.0, 0.97), directional=(0.15, 0.35), exposure=(0.80, 1.20)),
}
SCENE_NAMES = tuple(SCENES)
_SCENE_P = np.array([SCENES[s]["p"] for s in SCENE_NAMES])

# expression categories of candid/press photos: (probability, name)
EXPRESSION_KINDS = ("neutral", "smile", "laugh", "talk", "frown", "free")
_EXPRESSION_P = np.array([0.25, 0.30, 0.10, 0.12, 0.08, 0.15])


@dataclass(frozen=True)
class RealPriors:
    """Per-image nuisance distributions of the stand-in real domain (wider and harsher than `Priors`)."""

    yaw_core_std_deg: float = 18.0  # most web photos are near-frontal ...
    yaw_wide_std_deg: float = 40.0  # ... a fifth are clear profiles-ish
    p_yaw_wide: float = 0.2
    yaw_max_deg: float = 70.0
    pitch_std_deg: float = 10.0
    pitch_max_deg: float = 30.0
    roll_std_deg: float = 8.0
    roll_max_deg: float = 25.0
    expression_jitter: float = 0.25
    free_expression_std: float = 0.9
    detail_std: float = 0.12  # SH band 2 relative to ambient (synthetic: 0.08)
    # Multiplies every drawn pose angle (after the caps): 0 gives frontal faces, 0.5 halves each angle.
    # Only a study's variant of the stand-in LFW sets it (docs/training.md § Diagnostic studies); at 1
    # the draws are exactly the unscaled ones, so the stand-in's images do not change.
    pose_scale: float = 1.0

    def __post_init__(self) -> None:
        if not self.pose_scale >= 0:  # NaN fails too
            raise SynfaceError(f"pose_scale must be a number >= 0, got {self.pose_scale!r}")

    def identity(self, rng: np.random.Generator) -> np.ndarray:
        """The 160 identity coefficients: the synthetic generator's N(0, I) prior, unchanged."""
        return rng.standard_normal(lam.IDENTITY_DIM).astype(np.float32)

    def pose(self, rng: np.random.Generator) -> np.ndarray:
        yaw_std = self.yaw_wide_std_deg if rng.random() < self.p_yaw_wide else self.yaw_core_std_deg
        stds = np.deg2rad([yaw_std, self.pitch_std_deg, self.roll_std_deg])
        limits = np.deg2rad([self.yaw_max_deg, self.pitch_max_deg, self.roll_max_deg])
        angles = np.clip(rng.normal(0.0, stds), -limits, limits)
        if self.pose_scale != 1.0:  # at 1 the very same floats as before the scale existed
            angles = angles * self.pose_scale
        return angles.astype(np.float32)

    def expression(self, rng: np.random.Generator) -> np.ndarray:
        kind = EXPRESSION_KINDS[rng.choice(len(EXPRESSION_KINDS), p=_EXPRESSION_P)]
        c = rng.normal(0.0, self.expression_jitter, lam.EXPRESSION_DIM)
        if kind == "smile":
            c[lam.EXPRESSION_SMILE] = rng.uniform(0.5, 1.6)
        elif kind == "laugh":  # open-mouthed smile
            c[lam.EXPRESSION_SMILE] = rng.uniform(0.8, 1.8)
            c[lam.EXPRESSION_JAW_OPEN] = rng.uniform(0.6, 1.6)
        elif kind == "talk":  # caught mid-word
            c[lam.EXPRESSION_JAW_OPEN] = rng.uniform(0.3, 1.2)
            c[lam.EXPRESSION_LIP_PUCKER] = rng.normal(0.0, 0.5)
        elif kind == "frown":
            c[lam.EXPRESSION_BROW_FROWN] = rng.uniform(0.6, 1.6)
            c[13] = rng.uniform(0.3, 1.2)  # mouth_frown (facemodel.EXPRESSION_NAMES)
        elif kind == "free":
            c = rng.normal(0.0, self.free_expression_std, lam.EXPRESSION_DIM)
        c[lam.EXPRESSION_JAW_OPEN] = abs(c[lam.EXPRESSION_JAW_OPEN])  # a jaw only opens
        return c.astype(np.float32)

    def scene(self, rng: np.random.Generator) -> int:
        """Index into SCENE_NAMES: what lit the photo (drives light colour, background and exposure)."""
        return int(rng.choice(len(SCENE_NAMES), p=_SCENE_P))

    def illumination(self, rng: np.random.Generator, scene: int) -> np.ndarray:
        """SH light of one photo: one dominant coloured source over a dimmer ambient term."""
        spec = SCENES[SCENE_NAMES[scene]]
        exposure = rng.uniform(*spec["exposure"])
        colour = np.asarray(spec["colour"]) * np.exp(rng.normal(0.0, 0.04, 3))  # lamp-to-lamp spread
        if SCENE_NAMES[scene] == "flash":  # on-camera flash: from the front, slightly above
            d = np.array([rng.normal(0, 0.1), 0.15 + rng.normal(0, 0.05), 1.0])
        else:  # sun/lamp: anywhere in the upper front hemisphere
            d = np.array([rng.normal(0, 0.8), abs(rng.normal(0.6, 0.5)), abs(rng.normal(0.6, 0.5))])
        d /= np.linalg.norm(d)
        strength = rng.uniform(*spec["directional"])
        sh = np.zeros((9, 3))
        sh[0] = exposure * colour
        # irradiance term of bands 1..3 is (-n_y, n_z, -n_x) (render.py): light from d brightens n ~ d
        sh[1:4] = np.array([-d[1], d[2], -d[0]])[:, None] * strength * exposure * colour
        sh[4:9] = rng.normal(0.0, self.detail_std, (5, 1)) * exposure * colour
        return sh.reshape(-1).astype(np.float32)

    def noise(self, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal(lam.NOISE_DIM).astype(np.float32)
