"""The tuning study on the dev split: which training settings, and are the runs converged?

Two tables from the dev-split metrics and the runs' per-step losses (steps.csv):

- `results/tuning/embedded.csv`, one row per (candidate, training set, dev set): dev accuracy
  (mean, std over the tuning seeds), the run's length in steps and epochs, its final training
  loss and how flat the loss is at the end (`end_fall_pct`: its relative fall over the last tenth
  of the steps in %, the largest over seeds; `synface.analysis.convergence`);
- `results/tuning/convergence.csv`, one row per (table, smallest/largest training set, dev set):
  dev accuracy with the chosen settings and with twice their length, and whether doubling moved
  it by less than CONVERGENCE_POINTS.

The dev split measures accuracy only: no claim is computed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from synface.analysis.convergence import loss_summary, read_steps
from synface.analysis.metrics import load_metrics
from synface.analysis.tables import write_csv
from synface.errors import SynfaceError
from synface.naming import CHOSEN, DOUBLED, TEST_SETS

CONVERGENCE_POINTS = 0.5  # doubling the length may move dev accuracy by less than this (issue 11)
TUNING_COLUMNS = [
    "candidate",
    "settings",
    "train",
    "test",
    "accuracy",
    "std",
    "seeds",
    "steps",
    "epochs",
    "final_loss",
    "end_fall_pct",
]
CONVERGENCE_COLUMNS = ["table", "train", "role", "test", "accuracy", "accuracy_x2", "delta", "converged"]


def describe(training: Mapping[str, Any]) -> str:
    """A candidate's settings in one short line."""
    floor = f", >= {training['min_steps']} steps" if training["min_steps"] else ""
    warmup = f", warm-up {100 * training['warmup']:g} %" if training["warmup"] else ""
    return (
        f"{training['head']} s={training['scale']:g} m={training['margin']:g}, {training['epochs']} epochs{floor}"
        f"{warmup}, batch {training['batch']}, lr {training['lr']:g}"
    )


def tuning_frame(
    runs: Sequence[tuple[str, str, int]],
    candidates: Mapping[str, Mapping[str, Any]],
    metrics: pd.DataFrame,
    steps: Mapping[tuple[str, str, int], pd.DataFrame],
) -> pd.DataFrame:
    """The tuning table (module doc) from the runs, their settings, dev metrics and per-step losses."""
    records = []
    for candidate in dict.fromkeys(c for c, _, _ in runs):
        for train in dict.fromkeys(t for c, t, _ in runs if c == candidate):
            seeds = [s for c, t, s in runs if c == candidate and t == train]
            run_steps = [steps[(candidate, train, s)] for s in seeds]
            summaries = [loss_summary(f["loss"].to_numpy()) for f in run_steps]
            for test in TEST_SETS:
                acc = 100.0 * metrics.loc[[(candidate, train, s, test) for s in seeds], "accuracy"].to_numpy()
                records.append(
                    {
                        "candidate": candidate,
                        "settings": describe(candidates[candidate]),
                        "train": train,
                        "test": test,
                        "accuracy": round(float(acc.mean()), 2),
                        "std": round(float(acc.std(ddof=1)), 2) if len(acc) > 1 else np.nan,
                        "seeds": len(acc),
                        "steps": int(np.mean([len(f) for f in run_steps])),
                        "epochs": int(np.mean([f["epoch"].max() for f in run_steps])),
                        "final_loss": round(float(np.mean([s[0] for s in summaries])), 3),
                        "end_fall_pct": round(100.0 * float(max(s[1] for s in summaries)), 2),
                    }
                )
    return pd.DataFrame(records, columns=TUNING_COLUMNS)


def convergence_frame(tuning: pd.DataFrame, ends: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Per table, its (smallest, largest) training set: dev accuracy at the chosen length and at twice it."""
    by_run = tuning.set_index(["candidate", "train", "test"])["accuracy"]
    records = []
    for table, trains in ends.items():
        for role, train in zip(("smallest", "largest"), trains, strict=True):
            for test in TEST_SETS:
                missing = [c for c in (CHOSEN, DOUBLED) if (c, train, test) not in by_run.index]
                if missing:
                    raise SynfaceError(
                        f"tuning: no {' or '.join(missing)} run of {train} on {test}-dev; "
                        "the convergence check needs both lengths"
                    )
                base, doubled = by_run[(CHOSEN, train, test)], by_run[(DOUBLED, train, test)]
                records.append(
                    {
                        "table": table,
                        "train": train,
                        "role": role,
                        "test": test,
                        "accuracy": base,
                        "accuracy_x2": doubled,
                        "delta": round(doubled - base, 2),
                        "converged": bool(abs(doubled - base) < CONVERGENCE_POINTS),
                    }
                )
    return pd.DataFrame(records, columns=CONVERGENCE_COLUMNS)


def load_runs(
    runs: Sequence[tuple[str, str, int]], metrics_files: Sequence[str], steps_files: Sequence[str]
) -> tuple[pd.DataFrame, dict[tuple[str, str, int], pd.DataFrame]]:
    """The dev metrics (indexed by candidate, train, seed, test) and per-step losses of the runs from
    their files, in the order of `runs` (the rule's inputs): `metrics_files` holds each run's files on
    TEST_SETS in turn, `steps_files` each run's steps.csv."""
    keys = [(c, t, s, test) for c, t, s in runs for test in TEST_SETS]
    if len(metrics_files) != len(keys) or len(steps_files) != len(runs):
        raise SynfaceError(
            f"tuning: {len(runs)} runs need {len(keys)} metrics files and {len(runs)} steps files, "
            f"got {len(metrics_files)} and {len(steps_files)}"
        )
    files = dict(zip(keys, metrics_files, strict=True))
    parts = []
    for candidate in dict.fromkeys(c for c, _, _ in runs):  # one candidate's files describe each run once
        own = [key for key in keys if key[0] == candidate]
        part = load_metrics(files[key] for key in own)
        part.index = pd.MultiIndex.from_tuples(own)  # load_metrics keeps the files' order
        parts.append(part)
    steps = {run: read_steps(path) for run, path in zip(runs, steps_files, strict=True)}
    return pd.concat(parts), steps


def write_tuning(
    runs: Sequence[tuple[str, str, int]],
    candidates: Mapping[str, Mapping[str, Any]],
    ends: Mapping[str, Sequence[str]],
    metrics_files: Sequence[str],
    steps_files: Sequence[str],
    table_out: str,
    convergence_out: str,
) -> pd.DataFrame:
    """Entry point: the tuning table and the convergence check; returns the tuning table (for its figure)."""
    metrics, steps = load_runs(runs, metrics_files, steps_files)
    tuning = tuning_frame(runs, candidates, metrics, steps)
    write_csv(tuning, table_out)
    write_csv(convergence_frame(tuning, ends), convergence_out)
    return tuning
