"""results/summary/{table}/{train}.json: each table row's accuracies, for `dvc metrics show`.

One small file per table and training set with flat keys `{test}_{statistic}` (accuracy, ci_low,
ci_high, in %), the very numbers of results/tables/{table}.csv (rounded once, there): DVC prints a
metrics file as one row, so `dvc metrics show` and `dvc metrics diff` read as one line per training
set, a few columns wide.
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
from synface.layout import summary_path

STATISTICS = ("accuracy", "ci_low", "ci_high")


def metrics_summary(tables: Grid, seeds: Sequence[int], files: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """{summary file: {test_statistic: value}} (module doc); a statistic undefined for one seed is null."""
    results = summaries(grid_rows(tables), seeds, files)
    summary: dict[str, Any] = {}
    for table, rows in tables.items():
        for row in table_frame(table, rows, results, profile="").itertuples():  # the profile is not a metric
            values = {f"{row.test}_{key}": getattr(row, key) for key in STATISTICS}
            summary.setdefault(summary_path(table, row.train), {}).update(
                {key: None if math.isnan(value) else value for key, value in values.items()}
            )
    return summary


def write_metrics_summary(
    tables: Grid,
    seeds: Sequence[int],
    files: Iterable[str | os.PathLike[str]],
    out: Iterable[str | os.PathLike[str]],
) -> None:
    """Write the summary files to `out`, the rule's outputs: summary_files(tables), in that order."""
    summary = metrics_summary(tables, seeds, files)
    for path, values in zip(out, summary.values(), strict=True):
        write_text(path, json.dumps(values, indent=1) + "\n")
