"""The tuning study's figure: dev accuracy of every candidate on every tuning set (`synface.analysis.tuning`)."""

from __future__ import annotations

import os

import pandas as pd

from synface.analysis.metrics import Summary
from synface.figures.results import ci_bars
from synface.figures.style import over_seeds, plt, save_figure
from synface.naming import TEST_SETS


def _dev_set(test: str) -> str:
    """A test set's dev split in words: lfw -> LFW-dev, syn_lfw -> Syn-LFW-dev."""
    return test.replace("_", "-").upper().replace("SYN-LFW", "Syn-LFW") + "-dev"


def tuning_figure(tuning: pd.DataFrame, out: str | os.PathLike[str]) -> None:
    """One panel per dev set: each candidate's dev accuracy per training set (points: the mean over
    the tuning seeds with its 95 % CI, Student t as in the tables; none with one seed)."""
    fig, axes = plt.subplots(1, len(TEST_SETS), figsize=(6.0 * len(TEST_SETS), 5.2), squeeze=False)
    candidates = list(dict.fromkeys(tuning["candidate"]))
    settings = dict(zip(tuning["candidate"], tuning["settings"], strict=False))
    for ax, test in zip(axes[0], TEST_SETS, strict=True):
        part = tuning[tuning["test"] == test]
        trains = list(dict.fromkeys(part["train"]))
        for k, candidate in enumerate(candidates):
            rows = part[part["candidate"] == candidate]
            ours = [Summary(r.train, r.accuracy, r.std, r.seeds) for r in rows.itertuples()]
            xs = [trains.index(t) + (k - (len(candidates) - 1) / 2) * 0.8 / len(candidates) for t in rows["train"]]
            ax.errorbar(xs, rows["accuracy"], yerr=ci_bars(ours), fmt="o", capsize=3, color=f"C{k}")
        ax.set_xticks(range(len(trains)), trains, rotation=30, ha="right")
        ax.set_ylabel("dev accuracy (%)")
        ax.set_title(_dev_set(test))
        ax.grid(axis="y", alpha=0.3)
    handles = [plt.Line2D([], [], marker="o", linestyle="none", color=f"C{k}") for k in range(len(candidates))]
    fig.legend(
        handles,
        [f"{c}: {settings[c]}" for c in candidates],
        fontsize=8,
        loc="lower center",
        ncol=2,
        title="candidate training settings",
        title_fontsize=8,
    )
    over = over_seeds(int(tuning["seeds"].max()))
    fig.suptitle(
        f"Tuning study: dev-split accuracy of each candidate training setting (no test set read)\n{over}", fontsize=11
    )
    save_figure(fig, out, rect=(0, 0.05 + 0.035 * ((len(candidates) + 1) // 2), 1, 1))
