"""results/metrics.json: the paper tables' accuracies in one file, for `dvc metrics show`.

Nested by table, training set and test set: {table: {train: {test: {accuracy, std, ci_low,
ci_high}}}}, in %, the very numbers of results/tables/{table}.csv (rounded once, there).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

from synface.analysis.metrics import summaries
from synface.analysis.tables import table_frame
from synface.experiments import Grid, grid_rows
from synface.io.atomic import write_text

VALUES = ("accuracy", "std", "ci_low", "ci_high")


def metrics_summary(tables: Grid, seeds: Sequence[int], files: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """Every table's accuracies (module doc); a statistic undefined for one seed is null."""
    results = summaries(grid_rows(tables), seeds, files)
    summary: dict[str, Any] = {}
    for table, rows in tables.items():
        for row in table_frame(table, rows, results, profile="").itertuples():  # the profile is not a metric
            values = {key: getattr(row, key) for key in VALUES}
            summary.setdefault(table, {}).setdefault(row.train, {})[row.test] = {
                key: None if math.isnan(value) else value for key, value in values.items()
            }
    return summary


def write_metrics_summary(
    tables: Grid,
    seeds: Sequence[int],
    files: Iterable[str | os.PathLike[str]],
    out: str | os.PathLike[str],
) -> None:
    write_text(out, json.dumps(metrics_summary(tables, seeds, files), indent=1) + "\n")
