"""The tuning study's figure: dev accuracy of every candidate on every tuning set (`synface.analysis.tuning`)."""

from __future__ import annotations

import os

import pandas as pd

from synface.figures.style import plt, save_figure
from synface.naming import TEST_SETS


def tuning_figure(tuning: pd.DataFrame, out: str | os.PathLike[str]) -> None:
    """One panel per dev set: each candidate's dev accuracy per training set (error bars: std over
    the tuning seeds, where there are several)."""
    fig, axes = plt.subplots(1, len(TEST_SETS), figsize=(6.0 * len(TEST_SETS), 4.6), squeeze=False)
    for ax, test in zip(axes[0], TEST_SETS, strict=True):
        part = tuning[tuning["test"] == test]
        trains = list(dict.fromkeys(part["train"]))
        candidates = list(dict.fromkeys(part["candidate"]))
        for k, candidate in enumerate(candidates):
            rows = part[part["candidate"] == candidate].set_index("train")
            xs = [trains.index(t) + (k - (len(candidates) - 1) / 2) * 0.8 / len(candidates) for t in rows.index]
            ax.errorbar(xs, rows["accuracy"], yerr=rows["std"].fillna(0.0), fmt="o", capsize=3, label=candidate)
        ax.set_xticks(range(len(trains)), trains, rotation=30, ha="right")
        ax.set_ylabel("dev accuracy (%)")
        ax.set_title(f"{test.replace('_', '-').upper().replace('SYN-LFW', 'Syn-LFW')}-dev")
        ax.grid(axis="y", alpha=0.3)
    axes[0][-1].legend(fontsize=8, loc="best")
    seeds = sorted(set(tuning["seeds"]))
    over = f"{seeds[0]} seed{'s' if seeds[0] > 1 else ''} each" if len(seeds) == 1 else "seeds as listed"
    fig.suptitle(f"Tuning study: dev-split accuracy of each candidate training setting ({over}; no test set read)")
    save_figure(fig, out)
