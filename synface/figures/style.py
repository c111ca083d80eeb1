"""Shared figure frame: titles in words, what the error bars are, byte-stable PNGs written atomically."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from synface.io.atomic import atomic_path

DPI = 130

# Each paper table in words: figure and panel titles, the report's subcategories.
TABLE_TITLES = {
    "cross_domain": "Real and synthetic training data, tested on real and synthetic faces (Table 1)",
    "width_depth": "Width and depth of the synthetic set, without / with identity mixup (Table 2)",
    "domain_mixup": "Synthetic, real and mixed training data (Table 3)",
    "attributes": "Attribute analysis: one factor varied within an identity (Fig. 5)",
}


def table_title(table: str) -> str:
    """A paper table's title in words; a table the paper lacks (a config's own) by its name."""
    return TABLE_TITLES.get(table, table.replace("_", " "))


def over_seeds(n: int) -> str:
    """What our error bars are: the claims' interval (Student t over seeds), or none with one seed."""
    return f"mean ± 95 % CI over {n} seeds" if n > 1 else "one seed, no interval"


def title(fig: plt.Figure, text: str, profile: str) -> None:
    """Figure title; runs of the embedded world say that their data are simulated."""
    note = " — embedded world: simulated data" if profile == "embedded" else f" — profile: {profile}"
    fig.suptitle(text + note, fontsize=10)


def save_figure(
    fig: plt.Figure, out: str | os.PathLike[str], rect: tuple[float, float, float, float] = (0, 0, 1, 1)
) -> None:
    """Save `fig` as PNG at `out` (no timestamp metadata, so reruns give identical bytes), its axes
    laid out within `rect` (figure fractions: left, bottom, right, top; room for a figure legend)."""
    fig.tight_layout(rect=rect)
    with atomic_path(out) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
