"""What the learning tests share: the sampling standard error of a verification accuracy.

A learning test asserts an accuracy above a threshold; it is robust when the measured accuracy
sits several standard errors above that threshold on every seed and CPU kernel capability
(`python -m tests.learning_margins` measures this). The SE is taken at the threshold, where
a borderline run would sit: sqrt(p (1 - p) / n) for n pairs.
"""

from __future__ import annotations

import math


def accuracy_se(p: float, n_pairs: int) -> float:
    """Binomial standard error of an accuracy p measured on n_pairs independent pairs."""
    return math.sqrt(p * (1.0 - p) / n_pairs)


def margin_in_se(measured: float, threshold: float, n_pairs: int) -> float:
    """How many standard errors (at the threshold) `measured` lies above `threshold`."""
    return (measured - threshold) / accuracy_se(threshold, n_pairs)
