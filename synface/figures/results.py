"""Result figures from metrics files: width/depth (Table 2), domain mixup (Table 3), attributes (Fig. 5).

Ours: the mean over seeds as a point with its 95 % confidence interval over seeds (Student t, as in
the tables), every figure saying so and over how many seeds; points, not bars, so that no baseline
stretches a gap. The paper's numbers are drawn hollow (dashed lines or diamonds), labelled "paper".
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from synface.analysis.metrics import Summary, summaries
from synface.errors import SynfaceError
from synface.experiments import TableRow
from synface.figures.style import over_seeds, save_figure, table_title, title

IM_COLOURS = {False: "tab:blue", True: "tab:orange"}
PAPER_MARKER = {
    "marker": "D",
    "markerfacecolor": "none",
    "markeredgecolor": "black",
    "linestyle": "none",
    "markersize": 6,
}


def _paper(row: TableRow) -> float:
    return row["paper"].get("lfw", math.nan)


def _lower_limit(values: Iterable[float], ours: Iterable[Summary]) -> float:
    """A y floor 5 points under the lowest value or interval shown, on a multiple of 5."""
    lows = [s.ci95[0] for s in ours if s.n > 1]
    low = min(v for v in [*values, *lows] if not math.isnan(v))
    return max(0.0, 5 * math.floor((low - 5) / 5))


def ci_bars(ours: Sequence[Summary]) -> np.ndarray:
    """Error bars (below, above the mean) of the 95 % CI over seeds; none with a single seed."""
    bars = []
    for s in ours:
        low, high = s.ci95
        bars.append((0.0, 0.0) if s.n < 2 or math.isnan(low) else (s.mean - low, high - s.mean))
    return np.array(bars).T.reshape(2, len(bars))


def _over_seeds(ours: Iterable[Summary]) -> str:
    """What our error bars are, for a legend title."""
    return "ours: " + over_seeds(max(s.n for s in ours))


def _points(
    ax: plt.Axes,
    x: Sequence[float],
    ours: Sequence[Summary],
    paper: Sequence[float],
    colour: str,
    label: str,
) -> None:
    """Our means with their 95 % CI and values, the paper's numbers as hollow diamonds beside them."""
    means = [s.mean for s in ours]
    bars = ci_bars(ours)
    ax.errorbar(x, means, yerr=bars, fmt="o", color=colour, label=label, capsize=3, elinewidth=1)
    for xi, m, above in zip(x, means, bars[1], strict=True):
        ax.text(xi, m + above + 0.3, f"{m:.1f}", ha="center", va="bottom", fontsize=7)
    ax.plot(x, paper, **PAPER_MARKER)


def _paper_legend(ax: plt.Axes, note: str) -> None:
    """Legend outside the axes on the right, so it never hides a point; titled with what the bars are."""
    handles, labels = ax.get_legend_handles_labels()
    handles.append(plt.Line2D([], [], **PAPER_MARKER))
    ax.legend(
        handles,
        [*labels, "paper"],
        fontsize=8,
        title=note,
        title_fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )


def _finish_points(
    fig: plt.Figure,
    ax: plt.Axes,
    values: list[float],
    ours: list[Summary],
    ticks: list[str],
    xlabel: str,
    heading: str,
    profile: str,
    out: str | os.PathLike[str],
) -> None:
    """The common frame of a grouped-points figure: y range from all values shown, one tick per group,
    legend, title; saved."""
    ax.set_ylim(_lower_limit(values, ours), 100)
    ax.set_xlim(-0.6, len(ticks) - 0.4)
    ax.set_xticks(range(len(ticks)), ticks)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("LFW accuracy (%)")
    ax.grid(axis="y", alpha=0.3)
    _paper_legend(ax, _over_seeds(ours))
    title(fig, heading, profile)
    save_figure(fig, out)


def width_depth_figure(
    rows: Sequence[TableRow],
    seeds: Sequence[int],
    metrics_files: Iterable[str],
    out: str | os.PathLike[str],
    profile: str,
) -> None:
    """Table 2 as curves: LFW vs identities at the largest depth, and vs images per identity at the largest width."""
    results = summaries(rows, seeds, metrics_files)
    points = []  # (paper identities, images per identity, IM, ours, paper)
    for row in rows:
        if row["kind"] != "Syn":
            raise SynfaceError(f"experiments.width_depth: {row['train']!r} is not a Syn_N_S set")
        points.append((row["width"], row["depth"], row["im"], results[(row["train"], "lfw")], _paper(row)))
    depth, width = max(p[1] for p in points), max(p[0] for p in points)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    panels = (
        (axes[0], lambda p: p[1] == depth, 0, f"identities (at {depth} images per identity)"),
        (axes[1], lambda p: p[0] == width, 1, f"images per identity (at {width // 1000}K identities)"),
    )
    for ax, keep, axis, xlabel in panels:
        for im in (False, True):
            chosen = sorted((p for p in points if keep(p) and p[2] == im), key=lambda p: p[axis])
            x = [p[axis] for p in chosen]
            colour, name = IM_COLOURS[im], "w/ IM" if im else "w/o IM"
            ax.errorbar(
                x,
                [p[3].mean for p in chosen],
                yerr=ci_bars([p[3] for p in chosen]),
                color=colour,
                marker="o",
                capsize=3,
                label=f"ours {name}",
            )
            ax.plot(
                x,
                [p[4] for p in chosen],
                color=colour,
                marker="o",
                markerfacecolor="none",
                linestyle="--",
                label=f"paper {name}",
            )
        ticks = sorted({p[axis] for p in points if keep(p)})
        ax.set_xscale("log")
        ax.set_xticks(ticks, [f"{t // 1000}K" if t >= 1000 else str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("LFW accuracy (%)")
    axes[0].legend(fontsize=8, title=_over_seeds(p[3] for p in points), title_fontsize=8)
    title(fig, table_title("width_depth"), profile)
    save_figure(fig, out)


def domain_mixup_figure(
    rows: Sequence[TableRow],
    seeds: Sequence[int],
    metrics_files: Iterable[str],
    out: str | os.PathLike[str],
    profile: str,
) -> None:
    """Table 3 as grouped points: the synthetic set alone, then Real_N_S and Mix_N_S per real subset."""
    results = summaries(rows, seeds, metrics_files)
    groups: dict[str, dict[str, tuple[Summary, float]]] = {}
    for row in rows:
        group = "synthetic only" if row["kind"] == "Syn" else row["train"].split("_", 1)[1]
        groups.setdefault(group, {})[row["kind"]] = (results[(row["train"], "lfw")], _paper(row))
    colours = {"Syn": "tab:gray", "Real": "tab:green", "Mix": "tab:purple"}
    labels = {"Real": "ours Real_N_S", "Mix": "ours Mix_N_S (DM)"}
    fig, ax = plt.subplots(figsize=(9.5, 4.2))
    width = 0.38
    shown: list[Summary] = []
    for kind in ("Syn", "Real", "Mix"):
        members = [(g, k, entries) for k, (g, entries) in enumerate(groups.items()) if kind in entries]
        if not members:
            continue
        offset = 0.0 if kind == "Syn" else (-width / 2 if kind == "Real" else width / 2)
        x = [k + (offset if len(entries) > 1 else 0.0) for _, k, entries in members]
        ours = [e[kind][0] for _, _, e in members]
        shown += ours
        _points(
            ax,
            x,
            ours,
            [e[kind][1] for _, _, e in members],
            colours[kind],
            f"ours {ours[0].label}" if kind == "Syn" else labels[kind],  # the synthetic set alone, by its name
        )
    values = [v for entries in groups.values() for s, p in entries.values() for v in (s.mean, p)]
    _finish_points(
        fig,
        ax,
        values,
        shown,
        [g if g == "synthetic only" else f"real {g}" for g in groups],
        "real identities × images per identity (N_S)",
        table_title("domain_mixup"),
        profile,
        out,
    )


def attributes_figure(
    rows: Sequence[TableRow],
    seeds: Sequence[int],
    metrics_files: Iterable[str],
    out: str | os.PathLike[str],
    profile: str,
) -> None:
    """The attribute analysis: which factor varies within an identity, without / with identity mixup."""
    results = summaries(rows, seeds, metrics_files)
    labels = list(dict.fromkeys(r["row"] for r in rows))
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    width = 0.38
    values: list[float] = []
    shown: list[Summary] = []
    for im in (False, True):
        chosen = {r["row"]: r for r in rows if r["im"] == im}
        present = [k for k, label in enumerate(labels) if label in chosen]
        ours = [results[(chosen[labels[k]]["train"], "lfw")] for k in present]
        paper = [_paper(chosen[labels[k]]) for k in present]
        x = np.array(present) + (width / 2 if im else -width / 2)
        _points(ax, list(x), ours, paper, IM_COLOURS[im], f"ours {'w/ IM' if im else 'w/o IM'}")
        values += [s.mean for s in ours] + paper
        shown += ours
    heading = table_title("attributes")
    _finish_points(fig, ax, values, shown, labels, "attribute varied within an identity", heading, profile, out)
