"""Convergence: the training loss per SGD step of each paper table's runs, over seeds.

Reads the runs' steps.csv (step, epoch, loss, lr; written by synface.train.loop). One panel per
table, one line per training set: the median over seeds of the loss's running mean over
SMOOTH_STEPS steps (a single step's loss is one batch's, too noisy to compare sets by), shaded
between the seeds' lowest and highest. Colour families tell the kinds of set apart at a glance:
synthetic without identity mixup in blues (solid), with it in oranges (dashed), real in greens,
mixed in purples; darker is later in the table.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from synface.analysis.convergence import read_steps
from synface.errors import SynfaceError
from synface.figures.style import save_figure, table_title, title

SMOOTH_STEPS = 50
# family -> (colour map, line style, legend group); the family of a set follows from its name
FAMILIES = {
    "Syn": ("Blues", "-", "synthetic"),
    "Syn_IM": ("Oranges", "--", "synthetic + IM"),
    "Real": ("Greens", "-", "real"),
    "Mix": ("Purples", "-", "mixed (DM)"),
}


def family(train: str) -> str:
    """Syn, Syn_IM, Real or Mix, from a training set's name (Syn_10K_50_IM, Real_1K_10, Mix_1K_10)."""
    kind = train.split("_", 1)[0]
    if kind == "Syn" and train.endswith("_IM"):
        return "Syn_IM"
    return kind if kind in FAMILIES else "Syn"


def seed_band(
    files: Sequence[str | os.PathLike[str]], window: int = SMOOTH_STEPS
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Steps, and the median, min and max over the seeds' files of the loss's centred running mean
    over `window` steps (1: the raw loss), at each step."""
    frames = [read_steps(f) for f in files]
    steps = frames[0]["step"].to_numpy()
    for path, frame in zip(files[1:], frames[1:], strict=True):
        if not np.array_equal(frame["step"].to_numpy(), steps):
            raise SynfaceError(f"{path}: steps differ from those of {files[0]} (seeds of one training set run alike)")
    losses = np.stack(
        [frame["loss"].astype(float).rolling(window, center=True, min_periods=1).mean().to_numpy() for frame in frames]
    )
    return steps, np.median(losses, axis=0), losses.min(axis=0), losses.max(axis=0)


def _colours(sets: Sequence[str]) -> dict[str, tuple[tuple[float, ...], str]]:
    """Each set's colour and line style: its family's colour map, lighter to darker in table order."""
    members: dict[str, list[str]] = {}
    for train in sets:
        members.setdefault(family(train), []).append(train)
    styles = {}
    for fam, names in members.items():
        cmap, line, _ = FAMILIES[fam]
        shades = np.linspace(0.45, 0.95, len(names)) if len(names) > 1 else [0.75]
        styles.update({name: (plt.get_cmap(cmap)(shade), line) for name, shade in zip(names, shades, strict=True)})
    return styles


def _log_axis(ax: plt.Axes, low: float, high: float) -> None:
    """Log loss axis labelled in plain numbers (0.01, 0.1, 1, 10; with 2 and 5 between over a short range)."""
    decades = math.log10(high / low)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades < 2.5 else (1.0,)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def training_curves_figure(
    runs: Mapping[str, Mapping[str, Sequence[str | os.PathLike[str]]]], out: str | os.PathLike[str], profile: str
) -> None:
    """`runs`: per table, per training set, its steps files (one per seed); one panel per table."""
    fig, axes = plt.subplots(len(runs), 1, figsize=(10, 3.4 * len(runs)), squeeze=False)
    seeds = max(len(files) for sets in runs.values() for files in sets.values())
    for ax, (table, sets) in zip(axes[:, 0], runs.items(), strict=True):
        styles = _colours(list(sets))
        lows, highs = [], []
        for train, files in sets.items():
            steps, median, low, high = seed_band(files)
            colour, line = styles[train]
            ax.fill_between(steps, low, high, color=colour, alpha=0.2, linewidth=0)
            ax.plot(steps, median, color=colour, linestyle=line, linewidth=1.4, label=train)
            lows.append(low.min())
            highs.append(high.max())
        _log_axis(ax, min(lows), max(highs))
        ax.set_title(table_title(table), fontsize=10)
        ax.set_ylabel("training loss (log)")
        ax.set_xlim(left=0)
        ax.grid(alpha=0.3)
        # legend grouped by family, one column each, so IM and no-IM sets read side by side
        handles = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))
        groups = [[t for t in sets if family(t) == fam] for fam in FAMILIES]
        groups = [g for g in groups if g]
        rows = max(len(g) for g in groups)
        order = [name for g in groups for name in g + [None] * (rows - len(g))]
        blank = plt.Line2D([], [], linestyle="none")
        ax.legend(
            [handles[n] if n else blank for n in order],
            [n or "" for n in order],
            fontsize=7,
            ncol=len(groups),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
    axes[-1, 0].set_xlabel("SGD step")
    over = f"median over {seeds} seeds, band: lowest to highest seed" if seeds > 1 else "one seed"
    title(fig, f"Training loss per step (running mean over {SMOOTH_STEPS} steps; {over})", profile)
    save_figure(fig, out)
