"""results/metrics.json: every accuracy of the run in one file, for `dvc metrics show`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

import numpy as np

from synface.analysis.metrics import load_metrics
from synface.io.atomic import write_text


def metrics_summary(files: Iterable[str | os.PathLike[str]]) -> dict[str, dict[str, dict[str, float]]]:
    """{test: {training set: {"seed0": acc, ..., "mean": acc, "std": acc}}}, accuracies in %."""
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for record in load_metrics(files).itertuples():  # checked: keys, accuracy range, no run twice
        run = summary.setdefault(record.test, {}).setdefault(record.train, {})
        run[f"seed{record.seed}"] = round(100 * record.accuracy, 2)
    for runs in summary.values():
        for run in runs.values():
            values = list(run.values())
            run["mean"] = round(float(np.mean(values)), 2)
            run["std"] = round(float(np.std(values, ddof=1)), 2) if len(values) > 1 else 0.0
    return summary


def write_metrics_summary(files: Iterable[str | os.PathLike[str]], out: str | os.PathLike[str]) -> None:
    write_text(out, json.dumps(metrics_summary(files), indent=1, sort_keys=True) + "\n")
