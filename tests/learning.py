"""What the learning tests share: the sampling standard error of a verification accuracy.

A learning test asserts an accuracy (or AUC) above a threshold; it is robust when the measured
value sits several standard errors above that threshold on every seed and CPU kernel capability
(`python -m tests.learning_margins` measures this). The SE is taken at the threshold, where a
borderline run would sit: sqrt(p (1 - p) / n) for an accuracy on n pairs.
"""

from __future__ import annotations

import math


def accuracy_se(p: float, n_pairs: int) -> float:
    """Binomial standard error of an accuracy p measured on n_pairs independent pairs."""
    return math.sqrt(p * (1.0 - p) / n_pairs)


def margin_in_se(measured: float, threshold: float, n_pairs: int) -> float:
    """How many standard errors (at the threshold) an accuracy `measured` lies above `threshold`."""
    return (measured - threshold) / accuracy_se(threshold, n_pairs)


def auc_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Standard error of a ROC AUC from n_pos genuine and n_neg impostor scores (Hanley & McNeil 1982)."""
    q1, q2 = auc / (2.0 - auc), 2.0 * auc * auc / (1.0 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc) + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return math.sqrt(var)


def auc_margin_in_se(measured: float, threshold: float, n_pos: int, n_neg: int) -> float:
    """How many standard errors (at the threshold) an AUC `measured` lies above `threshold`."""
    return (measured - threshold) / auc_se(threshold, n_pos, n_neg)
