"""The paper's Figure 1: stand-in real faces above synthetic ones (both rendered here)."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from synface.figures.style import save_figure
from synface.generator.render import render_faces
from synface.generator.sampling import GenerationSettings, identity_lambdas
from synface.realdomain.casia import real_train_settings
from synface.realdomain.photos import render_photos

ROWS = ("stand-in real (simulated CASIA-WebFace)", "synthetic (embedded generator)")


def sample_faces(n: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n stand-in real faces (first image of identities 0..n-1) and n synthetic faces (no IM)."""
    real = render_photos(real_train_settings(seed), [(i, 0) for i in range(n)]).images
    settings = GenerationSettings(n_ids=n, per_id=1, identity_mixup=False, seed=seed)
    synthetic = render_faces(np.concatenate([identity_lambdas(settings, i)[0] for i in range(n)])).images
    return real, synthetic


def _strip(images: np.ndarray, gap: int = 4) -> np.ndarray:
    """Images side by side on white, `gap` pixels apart."""
    n, h, w, _ = images.shape
    strip = np.full((h, n * w + (n - 1) * gap, 3), 255, np.uint8)
    for k, image in enumerate(images):
        strip[:, k * (w + gap) : k * (w + gap) + w] = image
    return strip


def samples_figure(out: str | os.PathLike[str], *, n: int = 8, seed: int = 0) -> None:
    """Figure 1: a row of stand-in real faces over a row of synthetic faces, rows labelled."""
    rows = sample_faces(n, seed)
    fig, axes = plt.subplots(2, 1, figsize=(n * 0.95, 2 * 1.55))
    for ax, images, label in zip(axes, rows, ROWS, strict=True):
        ax.imshow(_strip(images))
        ax.set_title(label, fontsize=9, loc="left")
        ax.axis("off")
    save_figure(fig, out)
