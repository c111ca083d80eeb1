"""The LFW verification protocol (View 2) on pair scores, as in the official SynFace evaluation.

Matches `lib/core/lfw_eval.py` of github.com/haibo-qiu/SynFace (`KFold`, `eval_acc`,
`find_best_threshold`, `obtain_acc`):

- 10 contiguous folds, fold i holding pairs int(i*n/10) .. int((i+1)*n/10) - 1 as the official
  `KFold` (LFW: 6,000 pairs, 600 per fold; any n >= 10 splits, e.g. 23 pairs into 2,2,2,3,2,2,3,2,2,3);
- for each fold, the threshold that maximises accuracy on the other nine folds,
  searched over cos in {-1, -0.995, ..., 0.995} (400 values); ties go to the
  LARGEST threshold (the official loop keeps the last maximum, `>=`);
- a pair is predicted "same" iff score > threshold (strict, as `eval_acc`);
- accuracy_std is the population std over folds (np.std, ddof = 0, as `obtain_acc`).

The grid holds the doubles nearest to the decimals -1, -0.995, ... (the official
np.arange(-1, 1, 0.005) drifts by ~1e-16, which only matters for a score that sits
exactly on a grid value).

Beyond the official numbers: ROC AUC over all pairs (Mann-Whitney with average ranks
for ties) and TAR at FAR <= 1e-3: accept iff score > t, with t the (k+1)-th highest
impostor score and k = floor(n_impostor / 1000) (3 for LFW's 3,000 impostor pairs),
i.e. the most permissive threshold with at most k false accepts; no interpolation.
"""

from __future__ import annotations

import os
import re

import numpy as np

from synface.errors import SynfaceError
from synface.io.csvfile import read_csv

THRESHOLDS = np.round(np.arange(400) * 0.005 - 1.0, 3)
N_FOLDS = 10
_FOLD = re.compile(r"[0-9]+")
COSINE_SLACK = 1e-6  # float rounding: a float32 embedding's cosine with itself can exceed 1 by ~1e-7
_BOOLEANS = {"0": False, "1": True, "false": False, "true": True, "False": False, "True": True}


def fold_bounds(n_pairs: int, n_folds: int = N_FOLDS) -> np.ndarray:
    """First pair of each fold, then n_pairs: int(i * n_pairs / n_folds) for i = 0..n_folds."""
    # Integer division: the same numbers as the official float expression, without its rounding.
    return np.array([i * n_pairs // n_folds for i in range(n_folds + 1)], dtype=np.int64)


def fold_of_pairs(n_pairs: int, n_folds: int = N_FOLDS) -> np.ndarray:
    """The 0-based fold of each of n_pairs pairs in protocol order (see `fold_bounds`)."""
    return np.repeat(np.arange(n_folds), np.diff(fold_bounds(n_pairs, n_folds)))


def _check(scores: np.ndarray, same: np.ndarray, n_folds: int) -> None:
    if scores.ndim != 1 or same.shape != scores.shape:
        raise SynfaceError(f"scores {scores.shape} and same {same.shape} must be 1-D arrays of one length")
    if n_folds < 2 or len(scores) < n_folds:
        raise SynfaceError(f"{len(scores)} pairs cannot form {n_folds} folds (at least one pair per fold)")
    if not np.all(np.isfinite(scores)):
        raise SynfaceError(f"scores hold {np.count_nonzero(~np.isfinite(scores))} non-finite value(s)")
    if same.all() or not same.any():
        raise SynfaceError("the pairs need both genuine (same) and impostor (not same) pairs")


def roc_auc(scores: np.ndarray, same: np.ndarray) -> float:
    """Probability that a random genuine pair outscores a random impostor pair (ties count 1/2)."""
    from sklearn.metrics import roc_auc_score  # slow to import: only when needed

    return float(roc_auc_score(same, scores))


def tar_at_far(scores: np.ndarray, same: np.ndarray, far_denominator: int = 1000) -> float:
    """TAR at the most permissive threshold with at most floor(n_impostor / far_denominator) false
    accepts (see module doc): the last point of the full ROC curve within that FAR."""
    from sklearn.metrics import roc_curve  # slow to import: only when needed

    far, tar, _ = roc_curve(same, scores, drop_intermediate=False)  # accept iff score >= a score: corners kept
    n_impostor = int(np.count_nonzero(~same))
    return float(tar[far <= (n_impostor // far_denominator) / n_impostor].max())


def evaluate_scores(scores: np.ndarray, same: np.ndarray, n_folds: int = N_FOLDS) -> dict[str, float | list[float]]:
    """Accuracy by 10-fold threshold selection, plus AUC and TAR@FAR=1e-3; JSON-ready values."""
    scores = np.asarray(scores, dtype=np.float64)
    same = np.asarray(same).astype(bool)
    _check(scores, same, n_folds)
    bounds = fold_bounds(len(scores), n_folds)
    # correct[f, t]: pairs of fold f classified right at threshold t.
    correct = (scores[:, None] > THRESHOLDS[None, :]) == same[:, None]
    correct = np.add.reduceat(correct, bounds[:-1], axis=0, dtype=np.int64)
    fold_size = np.diff(bounds)
    # A fold's training split is fixed, so its counts rank thresholds exactly like its accuracies.
    train_correct = correct.sum(axis=0)[None, :] - correct
    best = len(THRESHOLDS) - 1 - np.argmax(train_correct[:, ::-1], axis=1)  # last maximum = largest
    fold_accuracy = correct[np.arange(n_folds), best] / fold_size
    return {
        "accuracy_mean": float(np.mean(fold_accuracy)),
        "accuracy_std": float(np.std(fold_accuracy)),
        "fold_accuracy": [float(a) for a in fold_accuracy],
        "fold_threshold": [float(t) for t in THRESHOLDS[best]],
        "auc": roc_auc(scores, same),
        "tar_at_far_1e-3": tar_at_far(scores, same),
    }


def protocol_folds(fold: np.ndarray, where: str) -> int:
    """The number of folds, checking the pairs lie in contiguous folds split where `fold_bounds` splits."""
    values, counts = np.unique(fold, return_counts=True)
    starts = np.r_[0, np.nonzero(np.diff(fold))[0] + 1]
    if len(starts) != len(values) or not np.array_equal(starts, fold_bounds(len(fold), len(values))[:-1]):
        raise SynfaceError(
            f"{where}: pairs must come in contiguous folds split at pair int(i*n/{len(values)}) "
            f"(fold sizes {counts.tolist()})"
        )
    return len(values)


def read_scores_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Read a `score,same[,fold]` CSV (rows in pair order; fold as `--scores-out` writes it, else None);
    raise naming the file and line of a bad row. A UTF-8 byte-order mark (spreadsheet exports) is skipped."""
    try:
        header, rows = read_csv(path)  # bounded; a short row, a column twice or a huge field: file and line
    except OSError as err:
        raise SynfaceError(f"{path}: cannot read scores ({err})") from err
    header = [name.strip() for name in header]
    missing = [c for c in ("score", "same") if c not in header]
    if missing:
        raise SynfaceError(f"{path}:1: header lacks column(s) {', '.join(missing)} (expected 'score,same')")
    i_score, i_same = header.index("score"), header.index("same")
    i_fold = header.index("fold") if "fold" in header else None
    scores, same, folds = [], [], []
    for line, row in rows:
        try:
            score = float(row[i_score])
        except ValueError:
            raise SynfaceError(f"{path}:{line}: score {row[i_score]!r} is not a number") from None
        if not np.isfinite(score):
            raise SynfaceError(f"{path}:{line}: score {row[i_score]!r} is not finite")
        if abs(score) > 1 + COSINE_SLACK:
            raise SynfaceError(f"{path}:{line}: score {row[i_score]!r} is outside [-1, 1] (a cosine similarity)")
        flag = _BOOLEANS.get(row[i_same].strip())
        if flag is None:
            raise SynfaceError(f"{path}:{line}: same {row[i_same]!r} is not one of 0/1/true/false")
        if i_fold is not None:
            if not _FOLD.fullmatch(row[i_fold].strip()):
                raise SynfaceError(f"{path}:{line}: fold {row[i_fold]!r} is not a fold number")
            folds.append(int(row[i_fold]))
        scores.append(score)
        same.append(flag)
    fold = np.array(folds, dtype=np.int64) if i_fold is not None else None
    return np.array(scores, dtype=np.float64), np.array(same, dtype=bool), fold


def evaluate_scores_csv(path: str | os.PathLike[str], n_folds: int = N_FOLDS) -> dict[str, float | list[float]]:
    """`evaluate_scores` on a `score,same[,fold]` CSV: in the folds of its fold column, else in
    n_folds contiguous folds of its rows."""
    scores, same, fold = read_scores_csv(path)
    if fold is not None and len(fold):
        n_folds = protocol_folds(fold, str(path))
    elif len(scores) < n_folds:
        raise SynfaceError(
            f"{path}: {len(scores)} data rows (lines 2-{len(scores) + 1}) are fewer than the {n_folds} folds"
        )
    try:
        return evaluate_scores(scores, same, n_folds)
    except SynfaceError as err:
        raise SynfaceError(f"{path}: {err}") from None
