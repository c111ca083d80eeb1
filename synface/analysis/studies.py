"""The diagnostic studies of the contradicted claims: each study's comparisons, judged like a claim's.

A study (`synface.experiments.StudyDesign`, from config `studies`) is a list of comparisons
left − right, each at one level of the factor it varies (N real identities, the pose scale k). Each
gets the claims' machinery (`synface.analysis.claims`): Δ of the means over seeds, its 95 % interval
from Welch's t, and an outcome (supported: the interval above 0; contradicted: "Δ ≥ 0" rejected
after Holm's correction over the study's comparisons; inconclusive otherwise).

The prediction is about the comparisons marked `predicted`, walked in the design's level order
(N rising, k falling). Its line says where the predicted sign (Δ ≥ 0, by the means) is first
reached ("turns at N = 5K") or "does not turn". `prediction_held`: "yes" when, by the means, Δ at
the last level is ≥ 0 and above Δ at the first (the prediction's "rises ... and is ≥ 0 by/at"),
"no" otherwise; the interval and outcome at the last level stand beside it, so a "yes" the noise
cannot tell from 0 reads as such.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from synface.analysis.claims import Comparison, Outcome, gt, judge
from synface.analysis.metrics import Summary, summaries
from synface.analysis.tables import write_csv
from synface.errors import SynfaceError
from synface.experiments import StudyDesign, StudySide, TableRow
from synface.io.atomic import write_text

COLUMNS = [
    "study",
    "claim",
    "level",
    "comparison",
    "predicted",
    "left",
    "right",
    "left_accuracy",
    "right_accuracy",
    "delta",
    "ci_low",
    "ci_high",
    "holm_p",
    "outcome",
    "seeds",
]


def _sides(design: StudyDesign) -> list[StudySide]:
    sides = [side for c in design["comparisons"] for side in (c["left"], c["right"])]
    return [*sides, design["reference"]] if design["reference"] is not None else sides


def study_summaries(
    design: StudyDesign, seeds: Sequence[int], metrics_files: Iterable[str | os.PathLike[str]]
) -> dict[tuple[str, str], Summary]:
    """Every (training set, test set) the study reads, summarised over `seeds` (a missing file is named)."""
    tests: dict[str, list[str]] = {}
    for side in _sides(design):
        tests.setdefault(side["train"], [])
        if side["test"] not in tests[side["train"]]:
            tests[side["train"]].append(side["test"])
    rows = [TableRow(train=train, test=test) for train, test in tests.items()]  # type: ignore[typeddict-item]
    return summaries(rows, seeds, metrics_files)


def _summary(results: Mapping[tuple[str, str], Summary], side: StudySide) -> Summary:
    key = (side["train"], side["test"])
    if key not in results:
        raise SynfaceError(f"studies: no {side['test']} result for {side['train']}")
    return results[key]


def study_comparisons(design: StudyDesign, results: Mapping[tuple[str, str], Summary]) -> list[Comparison]:
    """The study's comparisons, in the design's order: left − right, Welch's t over seeds."""
    return [gt(c["label"], _summary(results, c["left"]), _summary(results, c["right"])) for c in design["comparisons"]]


def study_frame(design: StudyDesign, results: Mapping[tuple[str, str], Summary]) -> pd.DataFrame:
    """One row per comparison: both means, Δ, its 95 % CI, Holm's p and the outcome (Holm over the study)."""
    comparisons = study_comparisons(design, results)
    records = []
    for spec, comparison, (outcome, holm) in zip(design["comparisons"], comparisons, judge(comparisons), strict=True):
        low, high = comparison.ci95
        left, right = (_summary(results, spec[side]) for side in ("left", "right"))
        records.append(
            {
                "study": design["study"],
                "claim": design["claim"],
                "level": f"{design['factor']} = {spec['level']}",
                "comparison": comparison.label,
                "predicted": spec["predicted"],
                "left": spec["left"]["train"],
                "right": spec["right"]["train"],
                "left_accuracy": round(left.mean, 2),
                "right_accuracy": round(right.mean, 2),
                "delta": round(comparison.diff, 2),
                "ci_low": round(low, 2),
                "ci_high": round(high, 2),
                "holm_p": f"{holm:.4f}",  # more digits than the CSV's other numbers
                "outcome": outcome or "no interval (one seed)",
                "seeds": min(left.n, right.n),
            }
        )
    return pd.DataFrame(records, columns=COLUMNS)


def turn(design: StudyDesign, deltas: Sequence[float]) -> str:
    """Where the predicted sign (Δ ≥ 0 by the means) is first reached, walking the levels in order;
    `deltas`: Δ of the predicted comparisons, one per level."""
    for level, delta in zip(design["levels"], deltas, strict=True):
        if delta >= 0:
            return f"turns at {design['factor']} = {level}"
    return "does not turn"


def study_verdict(design: StudyDesign, frame: pd.DataFrame) -> dict[str, Any]:
    """The study's one-line answer: its text, where it turns, whether the prediction held (module doc)."""
    predicted = frame[frame["predicted"]]
    if len(predicted) != len(design["levels"]):
        raise SynfaceError(f"studies.{design['study']}: needs one predicted comparison per level")
    deltas = [float(d) for d in predicted["delta"]]
    first, last = predicted.iloc[0], predicted.iloc[-1]
    held = deltas[-1] >= 0 and deltas[-1] > deltas[0]
    outcome: Outcome | str = last["outcome"]
    at_end = (
        f"{last['level']}: {last['comparison']} Δ {last['delta']:+.2f} "
        f"[95% CI {last['ci_low']:+.2f}, {last['ci_high']:+.2f}], {outcome}"
    )
    return {
        "study": design["study"],
        "claim": design["claim"],
        "hypothesis": design["hypothesis"],
        "prediction": design["prediction"],
        "turn": turn(design, deltas),
        "prediction_held": "yes" if held else "no",
        "rule": (
            f"yes when, by the means, Δ at {last['level']} is ≥ 0 and above Δ at {first['level']}; "
            "intervals: Welch 95 %, outcomes Holm-corrected over the study's comparisons"
        ),
        "at_end": at_end,
    }


def write_study(
    design: StudyDesign,
    seeds: Sequence[int],
    metrics_files: Iterable[str | os.PathLike[str]],
    table: str | os.PathLike[str],
    verdict: str | os.PathLike[str],
) -> dict[tuple[str, str], Summary]:
    """Entry point: results/studies/{study}.csv and its one-line .json from the metrics files;
    returns the summaries (the study's figure draws them)."""
    results = study_summaries(design, seeds, metrics_files)
    frame = study_frame(design, results)
    write_csv(frame, table)
    write_text(verdict, json.dumps(study_verdict(design, frame), ensure_ascii=False) + "\n")
    return results
