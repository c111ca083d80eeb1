"""The LFW verification protocol: fold thresholds, tie and comparison rules, AUC, TAR@FAR, CSV input."""

from __future__ import annotations

import numpy as np
import pytest

from synface.errors import SynfaceError
from synface.protocol import (
    evaluate_scores,
    evaluate_scores_csv,
    fold_bounds,
    fold_of_pairs,
    protocol_folds,
    roc_auc,
    tar_at_far,
)

KEYS = {"accuracy_mean", "accuracy_std", "fold_accuracy", "fold_threshold", "auc", "tar_at_far_1e-3"}


def lfw_layout(n_folds: int = 10, half: int = 300) -> np.ndarray:
    """LFW's pair order: per fold, `half` matched pairs then `half` mismatched pairs."""
    return np.tile(np.r_[np.ones(half, bool), np.zeros(half, bool)], n_folds)


def reference_accuracy(scores: np.ndarray, same: np.ndarray, n_folds: int) -> tuple[list[float], list[float]]:
    """A plain loop over folds and thresholds, keeping the last (largest) best threshold."""
    grid = [round(-1 + 0.005 * i, 3) for i in range(400)]
    n = len(scores)
    folds = [np.arange(int(i * n / n_folds), int((i + 1) * n / n_folds)) for i in range(n_folds)]  # official KFold
    accs, thresholds = [], []
    for test in folds:
        train = np.setdiff1d(np.arange(len(scores)), test)
        best_t, best_acc = None, -1.0
        for t in grid:
            acc = np.mean((scores[train] > t) == same[train])
            if acc >= best_acc:
                best_t, best_acc = t, acc
        thresholds.append(best_t)
        accs.append(float(np.mean((scores[test] > best_t) == same[test])))
    return accs, thresholds


def test_separable_scores_give_full_accuracy_and_largest_threshold_below_the_gap() -> None:
    same = lfw_layout()
    # Matched pairs score 0.6..0.9 (0.6 present in every fold), mismatched -0.2..0.1.
    fold_scores = np.r_[np.linspace(0.6, 0.9, 300), np.linspace(-0.2, 0.1, 300)]
    result = evaluate_scores(np.tile(fold_scores, 10), same)
    assert set(result) == KEYS
    assert result["accuracy_mean"] == 1.0 and result["accuracy_std"] == 0.0
    assert result["fold_accuracy"] == [1.0] * 10
    # Thresholds 0.1 .. 0.595 all separate perfectly; the largest wins, and 0.6 itself
    # fails because "same" needs score > threshold strictly.
    assert result["fold_threshold"] == [0.595] * 10
    assert result["auc"] == 1.0
    assert result["tar_at_far_1e-3"] == 1.0


def test_hand_computed_case_ties_go_to_the_largest_threshold() -> None:
    # Fold A: matched 0.2, mismatched -0.3. Fold B: matched 0.4, mismatched -0.1.
    scores = np.array([0.2, -0.3, 0.4, -0.1])
    same = np.array([True, False, True, False])
    result = evaluate_scores(scores, same, n_folds=2)
    # Test A, trained on B: every t in [-0.1, 0.4) is perfect -> 0.395; then 0.2 > 0.395 fails.
    # Test B, trained on A: every t in [-0.3, 0.2) is perfect -> 0.195; B is then all right.
    assert result["fold_threshold"] == [0.395, 0.195]
    assert result["fold_accuracy"] == [0.5, 1.0]
    assert result["accuracy_mean"] == 0.75
    assert result["accuracy_std"] == 0.25  # population std, as np.std


def test_matches_a_plain_loop_on_noisy_scores_with_ties_on_the_grid() -> None:
    rng = np.random.default_rng(3)
    same = lfw_layout(10, 30)
    scores = np.round(np.where(same, rng.normal(0.3, 0.25, same.size), rng.normal(0.0, 0.25, same.size)), 2)
    scores = scores.clip(-1, 1)
    result = evaluate_scores(scores, same)
    accs, thresholds = reference_accuracy(scores, same, 10)
    assert result["fold_accuracy"] == pytest.approx(accs, abs=0)
    assert result["fold_threshold"] == thresholds
    assert len(set(thresholds)) > 1  # the folds really chose different thresholds
    assert result["accuracy_mean"] == pytest.approx(np.mean(accs))


def test_folds_of_a_multiple_of_ten_stay_equal_contiguous_blocks() -> None:
    """For n divisible by the fold count the int(i*n/k) split is the equal split used before it."""
    for n in (10, 20, 600, 6000, 12000, 14000):
        np.testing.assert_array_equal(fold_of_pairs(n), np.arange(n) // (n // 10))
    np.testing.assert_array_equal(fold_of_pairs(40, 2), np.arange(40) // 20)


def test_any_pair_count_splits_as_the_official_kfold() -> None:
    assert np.diff(fold_bounds(23)).tolist() == [2, 2, 2, 3, 2, 2, 3, 2, 2, 3]
    for n in (10, 11, 19, 23, 99, 6001, 12345):
        assert fold_bounds(n).tolist() == [int(i * n / 10) for i in range(11)]
    rng = np.random.default_rng(5)
    same = np.tile([True, False], 120)[:233]
    scores = np.round(np.where(same, rng.normal(0.3, 0.25, same.size), rng.normal(0.0, 0.25, same.size)), 2)
    result = evaluate_scores(scores.clip(-1, 1), same)
    accs, thresholds = reference_accuracy(scores.clip(-1, 1), same, 10)
    assert result["fold_accuracy"] == pytest.approx(accs, abs=0)
    assert result["fold_threshold"] == thresholds
    assert protocol_folds(fold_of_pairs(233), "pairs.csv") == 10
    with pytest.raises(SynfaceError, match="pairs.csv: pairs must come in contiguous folds split at pair"):
        protocol_folds(np.arange(233) // 24, "pairs.csv")  # 10 contiguous folds, but 24 x 9 + 17


def test_auc_rank_based_with_ties() -> None:
    same = np.array([True, True, False, False])
    assert roc_auc(np.array([0.9, 0.5, 0.5, 0.1]), same) == 0.875  # the 0.5 tie counts one half
    assert roc_auc(np.full(4, 0.3), same) == 0.5
    assert roc_auc(np.array([0.1, 0.2, 0.8, 0.9]), same) == 0.0


def test_tar_at_far_allows_floor_n_impostor_over_1000_false_accepts() -> None:
    # 3000 impostors: four above the bulk; the rule allows exactly 3 false accepts,
    # so the threshold is the 4th highest impostor score, 0.6.
    impostor = np.r_[[0.9, 0.8, 0.7, 0.6], np.full(2996, -0.5)]
    genuine = np.repeat([0.55, 0.65, 0.75], 1000)
    scores = np.r_[genuine, impostor]
    same = np.r_[np.ones(3000, bool), np.zeros(3000, bool)]
    assert tar_at_far(scores, same) == pytest.approx(2 / 3)
    # With fewer than 1000 impostors no false accept is allowed: threshold = top impostor.
    assert tar_at_far(np.array([0.9, 0.5, 0.6, 0.4]), np.array([True, True, False, False])) == 0.5


@pytest.mark.parametrize(
    ("scores", "same", "message"),
    [
        (np.zeros(9), np.r_[np.ones(5, bool), np.zeros(4, bool)], "9 pairs cannot form 10 folds"),
        (np.r_[np.nan, np.zeros(9)], np.r_[np.ones(5, bool), np.zeros(5, bool)], "non-finite"),
        (np.zeros(10), np.ones(10, bool), "both genuine"),
        (np.zeros(10), np.ones(20, bool), "one length"),
    ],
)
def test_bad_arrays_rejected(scores: np.ndarray, same: np.ndarray, message: str) -> None:
    with pytest.raises(SynfaceError, match=message):
        evaluate_scores(scores, same)


def test_csv_round_trip_accepts_all_boolean_spellings(tmp_path) -> None:
    rng = np.random.default_rng(0)
    same = lfw_layout()
    scores = np.where(same, rng.normal(0.4, 0.2, same.size), rng.normal(0.0, 0.2, same.size)).clip(-1, 1)
    spellings = {True: ["1", "true", "True"], False: ["0", "false", "False"]}
    rows = [f"{float(s)!r},{spellings[bool(f)][i % 3]}" for i, (s, f) in enumerate(zip(scores, same))]
    lines = ["score,same", *rows]
    path = tmp_path / "scores.csv"
    path.write_text("\n".join(lines) + "\n")
    assert evaluate_scores_csv(path) == evaluate_scores(scores, same)


def test_csv_fold_column_sets_the_folds_and_a_byte_order_mark_is_skipped(tmp_path) -> None:
    rng = np.random.default_rng(1)
    same = lfw_layout(n_folds=2, half=10)
    scores = np.where(same, rng.normal(0.3, 0.3, same.size), rng.normal(0.0, 0.3, same.size))
    rows = [f"{float(score)!r},{int(flag)},{k // 20}" for k, (score, flag) in enumerate(zip(scores, same))]
    path = tmp_path / "scores.csv"
    path.write_text("\ufeffscore,same,fold\n" + "\n".join(rows) + "\n", encoding="utf-8")
    metrics = evaluate_scores_csv(path)
    assert metrics == evaluate_scores(scores, same, n_folds=2) != evaluate_scores(scores, same)
    assert len(metrics["fold_accuracy"]) == 2


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("score,same,fold\n" + "0.5,1,0\n" * 5 + "0.5,0,x\n", ":7: fold 'x'"),  # bad fold number
        ("score,same,fold\n" + "0.5,1,0\n0.5,0,1\n" * 5, "contiguous folds"),  # folds interleaved
        ("score,label\n0.5,1\n", ":1:"),  # missing column
        ("score,same\n" + "0.5,1\n" * 3 + "abc,0\n", ":5:"),  # non-numeric score
        ("score,same\n0.5,yes\n", ":2:"),  # bad boolean
        ("score,same\n0.5\n", ":2:"),  # missing field
        ("score,same\n" + "0.5,1\n" * 9, "9 data rows (lines 2-10) are fewer than the 10 folds"),
        ("", ":1:"),  # empty file
    ],
)
def test_bad_csv_rejected_naming_file_and_line(tmp_path, body: str, where: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises(SynfaceError) as err:
        evaluate_scores_csv(path)
    assert str(path) in str(err.value) and where in str(err.value)


def _mann_whitney_auc(scores: np.ndarray, same: np.ndarray) -> float:
    """The hand-written AUC that sklearn's replaced: average ranks, ties 1/2."""
    from scipy.stats import rankdata

    ranks, n_pos = rankdata(scores), int(same.sum())
    return float((ranks[same].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(same) - n_pos)))


def _sorted_tar_at_far(scores: np.ndarray, same: np.ndarray, far_denominator: int) -> float:
    """The hand-written TAR@FAR that sklearn's ROC curve replaced: accept iff score > the (k+1)-th impostor."""
    impostor = np.sort(scores[~same])[::-1]
    allowed = len(impostor) // far_denominator
    threshold = impostor[allowed] if allowed < len(impostor) else -np.inf
    return float(np.mean(scores[same] > threshold))


@pytest.mark.parametrize("ties", [False, True])
def test_sklearn_auc_and_tar_agree_with_the_hand_written_ones(ties):
    rng = np.random.default_rng(7)
    same = rng.random(6000) < 0.5
    scores = rng.normal(0.4 * same, 0.3).clip(-1, 1)
    if ties:  # scores on a coarse grid: many ties within and across classes
        scores = np.round(scores, 2)
    assert roc_auc(scores, same) == pytest.approx(_mann_whitney_auc(scores, same), abs=1e-12)
    for denominator in (1, 10, 100, 1000, 10_000):
        assert tar_at_far(scores, same, denominator) == _sorted_tar_at_far(scores, same, denominator)


def test_tar_at_far_on_hand_built_scores():
    # impostors 0.9 0.5 0.1 0.1; genuine 0.95 0.9 0.5 0.2
    scores = np.array([0.9, 0.5, 0.1, 0.1, 0.95, 0.9, 0.5, 0.2])
    same = np.array([False] * 4 + [True] * 4)
    assert tar_at_far(scores, same, 1000) == 0.25  # no false accept: accept > 0.9
    assert tar_at_far(scores, same, 4) == 0.5  # one: accept > 0.5
    assert tar_at_far(scores, same, 1) == 1.0  # every impostor may pass
    assert roc_auc(scores, same) == 12 / 16  # genuine over impostor: 4 + 3.5 + 2.5 + 2 of 16 (ties 1/2)
