"""A diagnostic study's figure: accuracies against the studied factor, and the predicted difference.

Left: each series' LFW accuracy per level (points: the mean over seeds with its 95 % CI, Student t),
the reference (the synthetic set alone) as a horizontal band of its mean and 95 % CI. Right: the
difference the prediction is about, per level, with its Welch 95 % CI (the study's table) and 0 marked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from synface.analysis.metrics import Summary
from synface.analysis.studies import study_comparisons
from synface.experiments import StudyDesign
from synface.figures.results import ci_bars
from synface.figures.style import over_seeds, plt, save_figure, title

SERIES_COLOURS = ("tab:purple", "tab:green", "tab:orange", "tab:blue")
TITLES = {
    "dm_real_identities": "Does domain mixup catch up with the synthetic set alone as the real subset grows? (claim 8)",
    "light_vs_pose": "Does varied illumination overtake varied pose as the test faces turn frontal? (claim 7)",
}


def study_figure(
    design: StudyDesign, results: Mapping[tuple[str, str], Summary], out: str | os.PathLike[str], profile: str
) -> None:
    """The study's two panels (module doc), with the number of seeds in the subtitle."""
    levels = design["levels"]
    reference = design["reference"]
    series: dict[str, dict[str, Summary]] = {}
    for c in design["comparisons"]:
        for side in (c["left"], c["right"]):
            if side != reference:
                series.setdefault(side["series"], {})[c["level"]] = results[(side["train"], side["test"])]
    fig, (ax, dax) = plt.subplots(1, 2, figsize=(11, 4.4), gridspec_kw={"width_ratios": [3, 2]})
    shown: list[Summary] = []
    width = 0.5 / max(1, len(series))
    for k, (name, points) in enumerate(series.items()):
        xs = [levels.index(level) + (k - (len(series) - 1) / 2) * width for level in points]
        ours = list(points.values())
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        ax.errorbar(xs, [s.mean for s in ours], yerr=ci_bars(ours), fmt="o", color=colour, capsize=3, label=name)
        shown += ours
    if reference is not None:
        ref = results[(reference["train"], reference["test"])]
        low, high = ref.ci95 if ref.n > 1 else (ref.mean, ref.mean)
        ax.axhspan(low, high, color="tab:gray", alpha=0.25, lw=0)
        ax.axhline(ref.mean, color="tab:gray", lw=1.2, label=f"{reference['series']} (band: 95 % CI)")
        shown.append(ref)
    ax.set_xticks(range(len(levels)), design["ticks"])
    ax.set_xlim(-0.6, len(levels) - 0.4)
    ax.set_xlabel(design["axis"], fontsize=8)
    ax.set_ylabel("LFW accuracy (%), stand-in LFW")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    predicted = [
        (c, spec)
        for c, spec in zip(study_comparisons(design, results), design["comparisons"], strict=True)
        if spec["predicted"]
    ]
    xs = [levels.index(spec["level"]) for _, spec in predicted]
    diffs = [c.diff for c, _ in predicted]
    bounds = [c.ci95 for c, _ in predicted]
    bars = [
        [d - lo for d, (lo, _) in zip(diffs, bounds, strict=True)],
        [hi - d for d, (_, hi) in zip(diffs, bounds, strict=True)],
    ]
    dax.errorbar(xs, diffs, yerr=bars, fmt="s", color="black", capsize=3)
    dax.axhline(0.0, color="tab:red", lw=1, ls="--", label="Δ = 0 (the prediction: ≥ 0)")
    dax.set_xticks(range(len(levels)), design["ticks"])
    dax.set_xlim(-0.6, len(levels) - 0.4)
    dax.set_xlabel(design["factor"], fontsize=8)
    left, right = predicted[0][1]["left"]["series"], predicted[0][1]["right"]["series"]
    dax.set_title(f"{left} − {right}", fontsize=8)
    dax.set_ylabel("Δ LFW accuracy (points)")
    dax.grid(axis="y", alpha=0.3)
    dax.legend(fontsize=7, loc="best", title="Δ: Welch 95 % CI", title_fontsize=7)
    over = over_seeds(max(s.n for s in shown))
    title(fig, f"{TITLES.get(design['study'], design['study'])}\n{over}", profile)
    save_figure(fig, out)
