"""Figures of the generator: the identity-mixup strip (paper Fig. 3) and the factor modes."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from synface.figures.style import save_figure
from synface.generator import lam
from synface.generator.render import render_faces
from synface.generator.sampling import FACTOR_MODES, GenerationSettings, identity_coefficients, identity_lambdas

# factor modes (synface.generator.sampling.FACTOR_MODES) as a row label in words
MODE_LABELS = {"all": "every factor", "none": "none"}


def _image_grid(axes: np.ndarray, images: np.ndarray) -> None:
    for ax, image in zip(axes.ravel(), images.reshape(-1, *images.shape[-3:]), strict=True):
        ax.imshow(image)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)


def identity_mixup_figure(out: str | os.PathLike[str], *, rows: int = 4, steps: int = 11, seed: int = 0) -> None:
    """Rows of identity i morphing into identity k as φ goes 1 → 0; pose, expression, light fixed."""
    settings = GenerationSettings(n_ids=2 * rows, per_id=1, identity_mixup=False, seed=seed)
    phis = np.linspace(1.0, 0.0, steps)
    images = []
    for r in range(rows):
        base, _ = identity_lambdas(settings, 2 * r)  # its expression, pose, light and noise
        own, mate = identity_coefficients(settings, 2 * r), identity_coefficients(settings, 2 * r + 1)
        lambdas = np.repeat(base, steps, axis=0)
        lambdas[:, lam.IDENTITY] = phis[:, None] * own + (1 - phis[:, None]) * mate
        images.append(render_faces(lambdas).images)
    fig, axes = plt.subplots(rows, steps, figsize=(steps * 0.95, rows * 1.25), squeeze=False)
    _image_grid(axes, np.stack(images))
    for c, phi in enumerate(phis):
        axes[0, c].set_title(f"φ={phi:.1f}", fontsize=9)
    for r in range(rows):
        axes[r, 0].set_ylabel(f"id {2 * r + 1}→{2 * r + 2}", fontsize=8)
    fig.suptitle(
        "Identity mixup: φ·λ_i + (1−φ)·λ_k of the identity coefficients (pose, expression, light fixed)", fontsize=10
    )
    save_figure(fig, out)


def factor_variation_figure(out: str | os.PathLike[str], *, images: int = 8, seed: int = 0, identity: int = 0) -> None:
    """One identity under each factor mode of the attribute analysis (no IM)."""
    modes = list(FACTOR_MODES)
    grid = []
    for mode in modes:
        settings = GenerationSettings(n_ids=identity + 1, per_id=images, identity_mixup=False, factor=mode, seed=seed)
        lambdas, _ = identity_lambdas(settings, identity)
        grid.append(render_faces(lambdas).images)
    fig, axes = plt.subplots(len(modes), images, figsize=(images * 0.95, len(modes) * 1.25), squeeze=False)
    _image_grid(axes, np.stack(grid))
    for r, mode in enumerate(modes):
        axes[r, 0].set_ylabel(MODE_LABELS.get(mode, mode), fontsize=9)
    fig.suptitle(
        "One synthetic identity under each factor mode of the attribute analysis: each row varies only\n"
        "the named factor from image to image (none: every image alike; every factor: all of them vary)",
        fontsize=9,
    )
    save_figure(fig, out)
