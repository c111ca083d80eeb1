"""`synface variance`: the seed spread's pair-sampling part, on hand-built answers and through the CLI."""

from __future__ import annotations

import numpy as np
import pytest
from test_evaluate_cli import model_file, write_pair_dataset

from synface.analysis.variance import pooled_pair_share, protocol_correct, seed_spread
from synface.cli import main
from synface.protocol import evaluate_scores


def test_spread_of_hand_built_answers():
    # accuracies 50, 50, 75 %: mean 58.33, sample variance (8.33² + 8.33² + 16.67²) / 2 = 208.33
    # pairs' variances across seeds 0, 1/3, 1/3, 0: mean 1/6, over 4 pairs 1/24 = 416.67 %²
    spread = seed_spread([[1, 1, 0, 0], [1, 0, 1, 0], [1, 1, 1, 0]])
    assert (spread.seeds, spread.pairs) == (3, 4)
    assert spread.accuracy == pytest.approx(175 / 3)
    assert spread.seed_var == pytest.approx(625 / 3)
    assert spread.pair_var == pytest.approx(1e4 / 24)
    assert spread.pair_share == pytest.approx(2.0)
    assert spread.std_with(10) == pytest.approx(np.sqrt(1e4 / 240))  # nothing left beyond the pairs


def test_seeds_that_agree_on_every_pair_have_no_pair_part():
    spread = seed_spread([[1, 0, 1, 1], [1, 0, 1, 1]])
    assert spread.seed_var == 0 and spread.pair_var == 0


def test_a_larger_test_set_divides_only_the_pair_part():
    rng = np.random.default_rng(0)
    skill = np.array([0.70, 0.74, 0.78])  # seeds of truly different skill, independent pairs
    small = seed_spread(rng.random((3, 2_000)) < skill[:, None])
    large = seed_spread(rng.random((3, 200_000)) < skill[:, None])
    assert large.pair_var == pytest.approx(small.pair_var / 100, rel=0.1)
    assert large.seed_var == pytest.approx(16.0, rel=0.1)  # var of 70, 74, 78
    assert pooled_pair_share({"a": small, "b": large}) == pytest.approx(
        (small.pair_var + large.pair_var) / (small.seed_var + large.seed_var)
    )


def test_one_seed_has_no_spread():
    with pytest.raises(ValueError, match="seeds >= 2"):
        seed_spread([[1, 0, 1]])


def test_protocol_answers_give_the_protocol_accuracy():
    rng = np.random.default_rng(1)
    same = np.tile([True] * 30 + [False] * 30, 10)
    scores = rng.normal(0.2, 0.3, same.size) + 0.3 * same
    correct = protocol_correct(scores, same)
    assert correct.mean() == pytest.approx(evaluate_scores(scores, same)["accuracy_mean"])


def runs(root, seeds_by_set):
    """Model files of random weights, one per seed: MODELS/SET/seed{k}/model.pt."""
    for name, seeds in seeds_by_set.items():
        for seed in range(seeds):
            (root / name / f"seed{seed}").mkdir(parents=True)
            model_file(root / name / f"seed{seed}" / "model.pt", seed=seed)
    return root


def test_cli_prints_each_set_and_the_summary(tmp_path, capsys):
    dataset = write_pair_dataset(tmp_path / "lfw")
    models = runs(tmp_path / "models", {"Real": 3, "Syn_1K_50": 1})
    assert main(["variance", "--models", str(models), "--dataset", str(dataset)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("Real ") and "seeds 3" in lines[0]  # Syn_1K_50: one seed
    assert lines[-1].startswith("1 sets, 40 pairs: median seed std ")
    assert "median seed std 0.00" not in lines[-1]  # three different models do not agree on every pair


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--sets", "Nope"], "no runs of Nope"), ([], "no training set with two or more seeds")],
)
def test_bad_selections_are_one_line_errors(tmp_path, capsys, args, message):
    dataset = write_pair_dataset(tmp_path / "lfw")
    models = runs(tmp_path / "models", {"Real": 1})
    assert main(["variance", "--models", str(models), "--dataset", str(dataset), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
