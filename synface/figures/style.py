"""Shared figure output: byte-stable PNGs written atomically."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from synface.io.atomic import atomic_path

DPI = 130


def save_figure(fig: plt.Figure, out: str | os.PathLike[str]) -> None:
    """Save `fig` as PNG at `out` (no timestamp metadata, so reruns give identical bytes)."""
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
