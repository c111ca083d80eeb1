"""The paper's Tables 1-3 and the attribute analysis as CSVs: our accuracy next to the paper's.

Layout (the same for every table, so one reader serves all): one row per experiment row of the
config and test set, in the config's (= the paper's) order. Width/depth therefore reads
(a) w/o IM, (a) w/ IM, (b) w/o IM, ... with the `im` column telling them apart.

Columns: table, row (paper label), train (set name), im (identity mixup in the synthetic part),
test, accuracy (mean over seeds, %), std (sample std over seeds, ddof=1, %), ci_low and ci_high
(95 % confidence interval of the mean, Student t with seeds − 1 degrees of freedom, %; empty with
one seed), seeds (count), paper (%), delta (ours − paper), profile (the run profile, e.g.
"embedded" or "paper").
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from synface.analysis.metrics import Summary, summaries
from synface.experiments import TableRow
from synface.io.atomic import atomic_path

COLUMNS = [
    "table",
    "row",
    "train",
    "im",
    "test",
    "accuracy",
    "std",
    "ci_low",
    "ci_high",
    "seeds",
    "paper",
    "delta",
    "profile",
]


def table_frame(
    table: str, rows: Iterable[TableRow], results: Mapping[tuple[str, str], Summary], profile: str
) -> pd.DataFrame:
    """One paper table as a DataFrame (see the module doc for the columns)."""
    records = []
    for row in rows:
        for test in row["test"]:
            ours = results[(row["train"], test)]
            paper = row["paper"].get(test, math.nan)
            ci_low, ci_high = ours.ci95
            records.append(
                {
                    "table": table,
                    "row": row["row"],
                    "train": row["train"],
                    "im": row["im"],
                    "test": test,
                    "accuracy": round(ours.mean, 2),
                    "std": round(ours.std, 2),
                    "ci_low": round(ci_low, 2),
                    "ci_high": round(ci_high, 2),
                    "seeds": ours.n,
                    "paper": paper,
                    "delta": round(ours.mean - paper, 2),
                    "profile": profile,
                }
            )
    return pd.DataFrame(records, columns=COLUMNS)


def write_csv(frame: pd.DataFrame, out: str | os.PathLike[str]) -> None:
    """Atomic CSV with a fixed float format, so reruns on the same metrics give identical bytes."""
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.2f", lineterminator="\n")


def write_table(
    table: str,
    rows: Sequence[TableRow],
    seeds: Sequence[int],
    metrics_files: Iterable[str],
    out: str | os.PathLike[str],
    profile: str,
) -> None:
    """Entry point: results/tables/{table}.csv from its rows' metrics files over `seeds`."""
    write_csv(table_frame(table, rows, summaries(rows, seeds, metrics_files), profile), out)
