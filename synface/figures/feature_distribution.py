"""Paper Fig. 4: features of real and synthetic sets in one shared 2-D projection, plus each set's spread.

Plotting only: the projection and spreads come from feature_distribution.json
(synface.analysis.features computes them). Each scatter panel draws a handful of its set's
identities in distinct colours, each point joined to its identity's centre, so that the
intra-class spread is seen rather than lost in a cloud of recycled colours; the set's other points
are grey, every set's points pale behind them, and the set's centre (×) sits beside the real set's
(green +), the distance claim 6 compares.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from synface.analysis.features import load_feature_distribution
from synface.analysis.metrics import Summary
from synface.figures.style import over_seeds, save_figure, title

SHOWN_IDENTITIES = 6  # distinct colours a reader tells apart at a glance (tab10's first six)


def _caption(entry: dict) -> str:
    accuracy = "LFW n/a" if entry["lfw_accuracy"] is None else f"LFW {100 * entry['lfw_accuracy']:.2f} %"
    return f"{entry['label']}\n{accuracy}"


def _identities(ax: plt.Axes, points: np.ndarray, identity: np.ndarray) -> None:
    """The set's first SHOWN_IDENTITIES identities as coloured stars around their centres, the rest grey."""
    shown = list(dict.fromkeys(identity.tolist()))[:SHOWN_IDENTITIES]
    rest = ~np.isin(identity, shown)
    ax.scatter(points[rest, 0], points[rest, 1], s=8, color="0.6", linewidths=0)
    for k, person in enumerate(shown):
        own = points[identity == person]
        centre = own.mean(axis=0)
        colour = f"C{k}"
        for x, y in own:
            ax.plot([centre[0], x], [centre[1], y], color=colour, linewidth=0.8, alpha=0.7)
        ax.scatter(own[:, 0], own[:, 1], s=22, color=colour, edgecolors="white", linewidths=0.4, zorder=3)


def feature_distribution_figure(features: str | os.PathLike[str], out: str | os.PathLike[str], profile: str) -> None:
    """One scatter panel per set (module doc) and a panel of each set's spread over the observer models."""
    data = load_feature_distribution(features)
    sets = data["sets"]
    projection = data.get("projection", "MDS")
    everything = np.concatenate([np.asarray(entry["points"], dtype=float).reshape(-1, 2) for entry in sets])
    real = next((entry for entry in sets if entry["name"].startswith("Real")), None)
    real_centre = None if real is None else np.asarray(real["points"], dtype=float).mean(axis=0)
    n = len(sets)
    # Scatter panels side by side, the spreads across the full width beneath them:
    # beside the panels, the labels would squeeze the equal-aspect scatters to slivers.
    fig = plt.figure(figsize=(3.6 * n, 7.4))
    grid = fig.add_gridspec(2, n, height_ratios=[3, 1.4])
    axes = [fig.add_subplot(grid[0, i]) for i in range(n)]
    for ax, entry in zip(axes, sets, strict=True):
        points = np.asarray(entry["points"], dtype=float).reshape(-1, 2)
        ax.scatter(everything[:, 0], everything[:, 1], s=5, color="0.9", linewidths=0)
        _identities(ax, points, np.asarray(entry["identity"]))
        centre = points.mean(axis=0)
        ax.scatter(*centre, marker="x", s=70, color="black", linewidths=2, zorder=4)
        if real_centre is not None:
            ax.scatter(*real_centre, marker="+", s=110, color="tab:green", linewidths=2.2, zorder=4)
        ax.set_title(_caption(entry), fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_aspect("equal", adjustable="datalim")
    axes[0].set_xlabel(f"{projection} 1")
    axes[0].set_ylabel(f"{projection} 2")
    marks = [
        plt.Line2D([], [], marker="x", color="black", linestyle="none", markersize=7, label="centre of the set"),
        plt.Line2D([], [], marker="+", color="tab:green", linestyle="none", markersize=9, label="centre of real"),
        plt.Line2D([], [], marker="o", color="C0", linewidth=0.8, markersize=4, label="one identity's images"),
    ]
    axes[-1].legend(handles=marks, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    spread = fig.add_subplot(grid[1, :])
    observers = data["observers"]
    summaries = [Summary.of(entry["label"], [o["spread"][entry["name"]] for o in observers]) for entry in sets]
    for k, (entry, s) in enumerate(zip(sets, summaries, strict=True)):
        low, high = s.ci95 if s.n > 1 else (s.mean, s.mean)
        colour = "tab:green" if entry["name"].startswith("Real") else "tab:blue"
        spread.errorbar(s.mean, k, xerr=[[s.mean - low], [high - s.mean]], fmt="o", color=colour, capsize=3)
        spread.annotate(f"{s.mean:.3f}", (high, k), xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    spread.set_yticks(range(n), [entry["label"] for entry in sets], fontsize=8)
    spread.set_ylim(n - 0.5, -0.5)
    spread.set_xlim(0, 1.15 * max(s.ci95[1] if s.n > 1 else s.mean for s in summaries) + 0.01)
    spread.grid(axis="x", alpha=0.3)
    spread.set_xlabel(
        f"intra-class spread: mean distance of an image's feature to its identity's centre "
        f"({over_seeds(len(observers))} (observer models))",
        fontsize=8,
    )
    title(
        fig,
        f"Feature distributions of real and synthetic training sets (Fig. 4): one joint {projection} projection"
        f" (the first seed's observer model);\ncolour: {SHOWN_IDENTITIES} identities of each set, grey: its others",
        profile,
    )
    save_figure(fig, out)
