"""Metrics files of the LFW protocol → a tidy table → per-training-set summaries over seeds.

A metrics file `results/metrics/{train}/seed{seed}/{test}.json` holds one evaluation (accuracy as
a fraction). Summaries are in percent: the mean over seeds, the sample standard deviation over
seeds (ddof=1; NaN with a single seed) and the 95 % confidence interval of the mean (Student t with
n − 1 degrees of freedom), so the spread shown is the run-to-run spread of training, not the
fold-to-fold spread inside one evaluation. The paper's numbers are single runs: their only known
error is the sampling error of an accuracy on LFW's 6,000 pairs, √(p(1 − p)/6000), a lower bound on
their uncertainty (the paper's seed-to-seed spread is unknown).
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from synface.errors import SynfaceError
from synface.experiments import TableRow, evaluations
from synface.io.jsonfile import read_json_object

_REQUIRED = ("train", "seed", "test", "accuracy_mean", "accuracy_std", "auc", "tar_at_far_1e-3")


# The LFW protocol's pairs (10 folds of 300 genuine and 300 impostor pairs): the paper's test size.
PAPER_TEST_PAIRS = 6000


@dataclass(frozen=True)
class Summary:
    """One training set on one test set, over seeds: mean and sample std in percent, n seeds, the
    per-seed accuracies (in seed order; empty where only the summary is known), and for a single run
    whose error is known otherwise (the paper's), that standard error."""

    label: str
    mean: float
    std: float
    n: int
    values: tuple[float, ...] = ()
    known_se: float = math.nan

    @classmethod
    def of(cls, label: str, values: Sequence[float]) -> Summary:
        """The summary of per-seed values: their mean, sample std (NaN for one) and count."""
        std = statistics.stdev(values) if len(values) > 1 else math.nan
        return cls(label, statistics.fmean(values), std, len(values), tuple(values))

    @property
    def variance_of_mean(self) -> float:
        """Squared standard error of the mean (NaN with fewer than two seeds and no known error)."""
        if not math.isnan(self.known_se):
            return self.known_se**2
        return self.std**2 / self.n if self.n > 1 else math.nan

    @property
    def df(self) -> float:
        """Degrees of freedom of the variance estimate: n − 1, infinite for a known error."""
        return math.inf if not math.isnan(self.known_se) else float(self.n - 1)

    @property
    def ci95(self) -> tuple[float, float]:
        """95 % confidence interval of the mean over seeds: mean ± t_{0.975, n−1}·s/√n (NaN with one seed)."""
        return confidence_interval(self.mean, math.sqrt(self.variance_of_mean), self.df)


def confidence_interval(centre: float, se: float, df: float) -> tuple[float, float]:
    """Two-sided 95 % Student t interval centre ± t_{0.975, df}·se; NaN bounds when se is NaN."""
    if math.isnan(se):
        return math.nan, math.nan
    if se == 0:  # no spread over seeds: the interval is the point (and Welch's df is undefined)
        return centre, centre
    from scipy.stats import t  # scipy.stats is slow to import: only when needed

    low, high = t.interval(0.95, df, loc=centre, scale=se)
    return float(low), float(high)


def _read(path: str | os.PathLike[str]) -> dict[str, Any]:
    record = read_json_object(path, "metrics")
    missing = [key for key in _REQUIRED if key not in record]
    if missing:
        raise SynfaceError(f"{path}: metrics file lacks key(s) {', '.join(missing)}")
    accuracy = record["accuracy_mean"]
    if not isinstance(accuracy, (int, float)) or not 0.0 <= accuracy <= 1.0:
        raise SynfaceError(f"{path}: accuracy_mean must be a fraction in [0, 1], got {accuracy!r}")
    return record


def load_metrics(files: Iterable[str | os.PathLike[str]]) -> pd.DataFrame:
    """One row per metrics file: train, seed, test, accuracy, fold_std, auc, tar_at_far_1e-3 (fractions), file."""
    rows = []
    for path in files:
        r = _read(path)
        rows.append(
            {
                "train": str(r["train"]),
                "seed": int(r["seed"]),
                "test": str(r["test"]),
                "accuracy": float(r["accuracy_mean"]),
                "fold_std": float(r["accuracy_std"]),
                "auc": float(r["auc"]),
                "tar_at_far_1e-3": float(r["tar_at_far_1e-3"]),
                "file": str(path),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["train", "seed", "test", "accuracy", "fold_std", "auc", "tar_at_far_1e-3", "file"]
    )
    repeated = frame[frame.duplicated(["train", "seed", "test"], keep=False)]
    if len(repeated):
        raise SynfaceError(f"metrics files describe the same run twice: {', '.join(repeated['file'])}")
    return frame


def aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (train, test): accuracy mean and sample std (ddof=1) over seeds, in percent, and seed count."""
    grouped = frame.groupby(["train", "test"], sort=False)["accuracy"]
    out = grouped.agg(accuracy="mean", std=lambda a: a.std(ddof=1), seeds="count").reset_index()
    out[["accuracy", "std"]] *= 100.0
    return out


def per_seed(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[float, ...]]:
    """Per (train, test): the accuracies in percent, in seed order."""
    ordered = frame.sort_values("seed")
    return {key: tuple(100.0 * group["accuracy"]) for key, group in ordered.groupby(["train", "test"], sort=False)}


def summaries(
    rows: Iterable[TableRow], seeds: Sequence[int], metrics_files: Iterable[str | os.PathLike[str]]
) -> dict[tuple[str, str], Summary]:
    """Summaries of every (train, test) that table rows read over `seeds`; raise naming a missing file."""
    want = evaluations(rows, seeds)
    frame = load_metrics(metrics_files)
    given = len(frame)
    frame = frame[frame["seed"].isin({seed for _, seed, _ in want})]  # runs of other seeds are not this study's
    have = set(zip(frame["train"], frame["seed"], frame["test"], strict=True))
    for train, seed, test in want:
        if (train, seed, test) not in have:
            raise SynfaceError(
                f"metrics file missing: train {train}, seed {seed}, test {test} is in none of the {given} files given"
            )
    values = per_seed(frame)
    return {
        (row.train, row.test): Summary(
            row.train, float(row.accuracy), float(row.std), int(row.seeds), values[(row.train, row.test)]
        )
        for row in aggregate(frame).itertuples()
    }


def sampling_se(accuracy: float, pairs: int = PAPER_TEST_PAIRS) -> float:
    """Standard error in points of an accuracy (in %) measured on `pairs` pairs: 100·√(p(1 − p)/pairs)."""
    p = accuracy / 100.0
    return 100.0 * math.sqrt(p * (1.0 - p) / pairs)


def paper_summaries(rows: Iterable[TableRow]) -> dict[tuple[str, str], Summary]:
    """The paper's numbers of table rows: single runs with the sampling error of LFW's 6,000 pairs."""
    return {
        (row["train"], test): Summary(row["train"], value, math.nan, 1, (value,), sampling_se(value))
        for row in rows
        for test, value in row["paper"].items()
    }
