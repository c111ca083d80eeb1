"""The tuning study's tables on planted dev metrics and per-step losses with known answers."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from drawn import assert_titles_in_words, catch, words
from matplotlib.container import ErrorbarContainer

from synface.analysis.tuning import (
    CONVERGENCE_POINTS,
    convergence_frame,
    describe,
    tuning_frame,
    write_tuning,
)
from synface.errors import SynfaceError
from synface.figures import tuning as tuning_figures
from synface.figures.tuning import tuning_figure
from synface.layout import dev_metrics_path, run_folder
from synface.naming import CHOSEN, DOUBLED, TEST_SETS

TRAINING = {
    "head": "cosface",
    "scale": 30,
    "margin": 0.35,
    "epochs": 2,
    "min_steps": 10,
    "warmup": 0.1,
    "batch": 8,
    "lr": 0.1,
}
# (candidate, train) -> dev accuracy (fraction) per test set
ACCURACY = {
    (CHOSEN, "Real_1K_10"): 0.80,
    (DOUBLED, "Real_1K_10"): 0.802,
    (CHOSEN, "Real"): 0.90,
    (DOUBLED, "Real"): 0.92,
}
RUNS = [(c, t, 0) for c, t in ACCURACY]


def test_describe_names_the_length_rule():
    assert describe(TRAINING) == "cosface s=30 m=0.35, 2 epochs, >= 10 steps, warm-up 10 %, batch 8, lr 0.1"
    assert describe({**TRAINING, "min_steps": 0, "warmup": 0}) == "cosface s=30 m=0.35, 2 epochs, batch 8, lr 0.1"


def _plant(root) -> None:
    for (candidate, train), accuracy in ACCURACY.items():
        for test in TEST_SETS:
            path = root / dev_metrics_path(candidate, train, 0, test)
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "train": train,
                "seed": 0,
                "test": test,
                "accuracy_mean": accuracy,
                "accuracy_std": 0.01,
                "auc": 0.9,
                "tar_at_far_1e-3": 0.5,
            }
            path.write_text(json.dumps(record))
        folder = root / run_folder(train, 0, candidate)
        folder.mkdir(parents=True, exist_ok=True)
        steps = 40 if candidate == DOUBLED else 20
        pd.DataFrame(
            {
                "step": range(1, steps + 1),
                "epoch": np.repeat(np.arange(1, 5 if steps == 40 else 3), 10),
                "loss": np.linspace(9, 3, steps),
                "lr": 0.1,
            }
        ).to_csv(folder / "steps.csv", index=False)


def test_tuning_and_convergence_tables_from_planted_runs(tmp_path, monkeypatch):
    _plant(tmp_path)
    monkeypatch.chdir(tmp_path)  # the pipeline's paths are relative to the workflow root
    candidates = {CHOSEN: TRAINING, DOUBLED: {**TRAINING, "epochs": 4, "min_steps": 20}}
    ends = {"domain_mixup": ("Real_1K_10", "Real")}
    metrics = [dev_metrics_path(c, t, s, test) for c, t, s in RUNS for test in TEST_SETS]
    steps = [f"{run_folder(t, s, c)}/steps.csv" for c, t, s in RUNS]
    returned = write_tuning(RUNS, candidates, ends, metrics, steps, "t.csv", "c.csv")
    drawn = catch(monkeypatch, tuning_figures)
    tuning_figure(returned, "t.png")
    assert (tmp_path / "t.png").stat().st_size > 10_000
    (fig,) = drawn
    assert fig.get_suptitle().startswith("Tuning study: dev-split accuracy")
    assert_titles_in_words(fig)
    assert "one seed, no interval" in words(fig)  # one tuning seed: points without bars
    assert "chosen_x2: cosface s=30 m=0.35, 4 epochs" in words(fig)  # each candidate's settings in words
    for ax in fig.axes:
        assert all(isinstance(c, ErrorbarContainer) for c in ax.containers)
        bars = [seg for c in ax.containers for seg in c.lines[2][0].get_segments()]
        assert bars and all(seg[0][1] == seg[1][1] for seg in bars)  # of zero length
    tuning = pd.read_csv("t.csv")
    row = tuning[(tuning["candidate"] == DOUBLED) & (tuning["train"] == "Real") & (tuning["test"] == "lfw")].iloc[0]
    assert (row["accuracy"], row["seeds"], row["steps"], row["epochs"]) == (92.0, 1, 40, 4)
    assert row["settings"].startswith("cosface s=30 m=0.35, 4 epochs, >= 20 steps")
    convergence = pd.read_csv("c.csv").set_index(["train", "test"])
    assert convergence.loc[("Real_1K_10", "lfw"), "delta"] == pytest.approx(0.2)
    assert bool(convergence.loc[("Real_1K_10", "lfw"), "converged"])  # 0.2 < 0.5 points
    assert not bool(convergence.loc[("Real", "syn_lfw"), "converged"])  # 2 points
    assert convergence.loc[("Real", "lfw"), "role"] == "largest"
    assert CONVERGENCE_POINTS == 0.5


def test_the_convergence_check_without_a_doubled_run_names_it():
    tuning = tuning_frame(
        [(CHOSEN, "Real", 0)],
        {CHOSEN: TRAINING},
        pd.DataFrame(
            {"accuracy": [0.9, 0.9]}, index=pd.MultiIndex.from_tuples([(CHOSEN, "Real", 0, t) for t in TEST_SETS])
        ),
        {(CHOSEN, "Real", 0): pd.DataFrame({"step": [1, 2], "epoch": [1, 1], "loss": [2.0, 1.0]})},
    )
    with pytest.raises(SynfaceError, match="no chosen_x2 run of Real on lfw-dev"):
        convergence_frame(tuning, {"cross_domain": ("Real", "Real")})
