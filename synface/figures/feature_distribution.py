"""Paper Fig. 4: features of real and synthetic sets in one shared 2-D projection, plus each set's spread.

Plotting only: the projection and spreads come from feature_distribution.json
(synface.analysis.features computes them).
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from synface.analysis.features import load_feature_distribution
from synface.figures.results import title
from synface.figures.style import save_figure


def _caption(entry: dict) -> str:
    accuracy = "LFW n/a" if entry["lfw_accuracy"] is None else f"LFW {100 * entry['lfw_accuracy']:.2f}%"
    return f"{entry['label']}\n{accuracy} · spread {entry['spread']:.3f}"


def feature_distribution_figure(features: str | os.PathLike[str], out: str | os.PathLike[str], profile: str) -> None:
    """One scatter panel per set (its points coloured by identity over all sets' points in grey) and a spread
    bar panel."""
    data = load_feature_distribution(features)
    sets = data["sets"]
    everything = np.concatenate([np.asarray(entry["points"], dtype=float).reshape(-1, 2) for entry in sets])
    n = len(sets)
    # Scatter panels side by side, the spread bars across the full width beneath them:
    # beside the panels, the bar labels would squeeze the equal-aspect scatters to slivers.
    fig = plt.figure(figsize=(3.6 * n, 7.2))
    grid = fig.add_gridspec(2, n, height_ratios=[3, 1.4])
    axes = [fig.add_subplot(grid[0, i]) for i in range(n)]
    for ax, entry in zip(axes, sets, strict=True):
        points = np.asarray(entry["points"], dtype=float).reshape(-1, 2)
        _, colour = np.unique(entry["identity"], return_inverse=True)
        ax.scatter(everything[:, 0], everything[:, 1], s=5, color="0.85", linewidths=0)
        ax.scatter(points[:, 0], points[:, 1], s=14, c=colour % 20, cmap="tab20", vmin=0, vmax=19, linewidths=0)
        ax.set_title(_caption(entry), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
    axes[0].set_xlabel(f"{data.get('projection', 'MDS')} 1")
    axes[0].set_ylabel(f"{data.get('projection', 'MDS')} 2")
    bar = fig.add_subplot(grid[1, :])
    colours = ["tab:green" if entry["name"].startswith("Real") else "tab:blue" for entry in sets]
    observers = data["observers"]
    spreads = np.array([[o["spread"][entry["name"]] for o in observers] for entry in sets])
    errors = spreads.std(axis=1, ddof=1) if len(observers) > 1 else None
    bars = bar.barh(range(n), spreads.mean(axis=1), xerr=errors, color=colours, capsize=3)
    bar.bar_label(bars, fmt="%.3f", fontsize=8, padding=3)  # a zero spread has no visible bar
    bar.set_yticks(range(n), [entry["label"] for entry in sets], fontsize=8)
    bar.invert_yaxis()
    over = f"mean ± std over {len(observers)} seeds' observer models" if errors is not None else "one observer model"
    bar.set_xlabel(f"mean distance to identity centroid ({over})", fontsize=8)
    bar.set_title("intra-class spread", fontsize=9)
    title(
        fig,
        f"Feature distributions, one joint {data.get('projection', 'MDS')} projection (the first seed's observer"
        " model); colour = identity",
        profile,
    )
    save_figure(fig, out)
