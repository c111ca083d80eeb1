"""Where a row's seed-to-seed spread comes from: the training seed, or the finite test set.

Seed s of a row classifies pair j of the test set right or wrong under the LFW protocol:
C[s, j] in {0, 1}, and the seed's accuracy is acc_s = mean_j C[s, j] over the N pairs. Model C as
mu + a_s + b_j + e[s, j]: a_s the seed's own skill, b_j the pair's difficulty (shared by every seed,
so it moves no difference between runs on the same pairs), e[s, j] which seed gets which pair
right. Then the seeds' sample variance of acc estimates var(a) + var(e) / N. Its pair-sampling part
var(e) / N is estimated by the mean over pairs of C's variance across seeds, over N (that mean
also holds var(a), which is some 10^4 times smaller than var(e) for 0/1 outcomes). A test set k
times larger divides the pair-sampling part by k; more seeds divide the whole spread of a mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from synface.protocol import evaluate_scores, fold_bounds


def protocol_correct(scores: np.ndarray, same: np.ndarray) -> np.ndarray:
    """Whether each pair is classified right at its fold's threshold (10-fold LFW protocol, contiguous folds)."""
    metrics = evaluate_scores(scores, same)
    threshold = np.repeat(metrics["fold_threshold"], np.diff(fold_bounds(len(scores))))
    return (np.asarray(scores, dtype=np.float64) > threshold) == np.asarray(same).astype(bool)


@dataclass(frozen=True)
class SeedSpread:
    """A row's spread over seeds in accuracy points (%): `seed_var` in all, `pair_var` its pair-sampling part."""

    seeds: int
    pairs: int
    accuracy: float
    seed_var: float
    pair_var: float

    @property
    def pair_share(self) -> float:
        return self.pair_var / self.seed_var if self.seed_var > 0 else float("nan")

    def std_with(self, pair_factor: float) -> float:
        """The seed std expected on a test set `pair_factor` times as large (the pair part divided by it)."""
        training = max(self.seed_var - self.pair_var, 0.0)
        return float(np.sqrt(training + self.pair_var / pair_factor))


def seed_spread(correct: np.ndarray) -> SeedSpread:
    """The spread of a row from its (seeds x pairs) 0/1 matrix of right answers."""
    c = np.asarray(correct, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] < 2 or c.shape[1] < 1:
        raise ValueError(f"need a (seeds >= 2) x (pairs >= 1) matrix, got shape {c.shape}")
    accuracy = 100 * c.mean(axis=1)
    return SeedSpread(
        seeds=c.shape[0],
        pairs=c.shape[1],
        accuracy=float(accuracy.mean()),
        seed_var=float(accuracy.var(ddof=1)),
        pair_var=float(1e4 * c.var(axis=0, ddof=1).mean() / c.shape[1]),
    )


def pooled_pair_share(spreads: Mapping[str, SeedSpread]) -> float:
    """The pair-sampling share of all rows' seed variance together (rows weighted alike)."""
    total = sum(s.seed_var for s in spreads.values())
    return sum(s.pair_var for s in spreads.values()) / total if total > 0 else float("nan")
