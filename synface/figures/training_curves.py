"""Convergence: the training loss per SGD step of each paper table's runs, over seeds.

Reads the runs' steps.csv (step, epoch, loss, lr; written by synface.train.loop). One panel per
table, one line per training set: the median loss over seeds at each step, shaded min–max.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import LogFormatter, MaxNLocator

from synface.analysis.convergence import read_steps
from synface.errors import SynfaceError
from synface.figures.results import title
from synface.figures.style import save_figure

# Past this many lines per panel, tab10 repeats colours and one legend column grows too tall.
_MANY = 10


def seed_band(files: Sequence[str | os.PathLike[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps, and the median, min and max loss over the seeds' files at each step."""
    frames = [read_steps(f) for f in files]
    steps = frames[0]["step"].to_numpy()
    for path, frame in zip(files[1:], frames[1:], strict=True):
        if not np.array_equal(frame["step"].to_numpy(), steps):
            raise SynfaceError(f"{path}: steps differ from those of {files[0]} (seeds of one training set run alike)")
    losses = np.stack([frame["loss"].to_numpy(float) for frame in frames])
    return steps, np.median(losses, axis=0), losses.min(axis=0), losses.max(axis=0)


def training_curves_figure(
    runs: Mapping[str, Mapping[str, Sequence[str | os.PathLike[str]]]], out: str | os.PathLike[str], profile: str
) -> None:
    """`runs`: per table, per training set, its steps files (one per seed); one panel per table."""
    fig, axes = plt.subplots(len(runs), 1, figsize=(10, 3.3 * len(runs)), squeeze=False)
    for ax, (table, sets) in zip(axes[:, 0], runs.items(), strict=True):
        colours = plt.get_cmap("tab20" if len(sets) > _MANY else "tab10")
        for k, (train, files) in enumerate(sets.items()):
            steps, median, low, high = seed_band(files)
            colour = colours(k % colours.N)
            ax.fill_between(steps, low, high, color=colour, alpha=0.2, linewidth=0)
            ax.plot(steps, median, color=colour, linewidth=0.8, label=train)
        # log: the slow late decline stays visible next to the first steps' fast drop
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(LogFormatter())  # plain numbers, not 2×10^1
        ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # steps are whole
        ax.set_title(table, fontsize=10)
        ax.set_ylabel("training loss")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=2 if len(sets) > _MANY else 1)
    axes[-1, 0].set_xlabel("SGD step")
    title(fig, "Training loss per step: median over seeds, band = min–max", profile)
    save_figure(fig, out)
