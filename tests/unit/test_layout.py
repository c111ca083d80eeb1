"""Where files live: the default world's paths as a clone has them, another world's one folder down."""

from __future__ import annotations

from repo_copy import ROOT

from synface.config import load_config
from synface.experiments import Experiments
from synface.layout import (
    REAL_TRAIN,
    evaluation_set_path,
    in_world,
    metrics_path,
    model_path,
    real_train_path,
    run_files,
    steps_path,
    study_metrics_path,
    summary_files,
    summary_path,
    synthetic_set_path,
    table_path,
    table_view_path,
)


def test_the_default_world_keeps_the_paths_a_clone_has():
    assert model_path("Syn_1K_50", 0) == "models/Syn_1K_50/seed0/model.pt"
    assert steps_path("Real", 2) == "models/Real/seed2/steps.csv"
    assert run_files("Real", 0, "cosface_m35")["log"] == "models/tuning/cosface_m35/Real/seed0/log.csv"
    assert metrics_path("Real", "{seed}", "lfw") == "results/metrics/Real/seed{seed}/lfw.json"
    assert study_metrics_path("Real", 0, "lfw_pose0.5") == "results/studies/metrics/Real/seed0/lfw_pose0.5.json"
    assert evaluation_set_path("syn_lfw", "dev") == "data/dev/syn_lfw"
    assert synthetic_set_path("all_im") == "data/synthetic/all_im"
    assert real_train_path() == REAL_TRAIN == "data/real/real_train"
    assert table_path("width_depth") == "results/tables/width_depth.csv"
    assert table_view_path(table_path("claims")) == "results/report/tables/claims.html"
    assert summary_path("width_depth", "Syn_1K_50") == "results/summary/width_depth/Syn_1K_50.json"


def test_another_world_lives_one_folder_down():
    assert model_path("Syn_1K_50", 0, "paper") == "models/paper/Syn_1K_50/seed0/model.pt"
    assert metrics_path("Real", 0, "cfp_fp", "paper") == "results/paper/metrics/Real/seed0/cfp_fp.json"
    assert evaluation_set_path("lfw", world="paper") == "data/paper/test/lfw"
    assert real_train_path("paper") == "data/paper/real/real_train"
    assert table_path("claims", "paper") == "results/paper/tables/claims.csv"
    assert table_view_path(table_path("claims", "paper"), "paper") == "results/paper/report/tables/claims.html"
    assert summary_files({"domain_mixup": [{"train": "Real"}, {"train": "Real"}]}, "paper") == [
        "results/paper/summary/domain_mixup/Real.json"
    ]
    assert in_world("results", "paper") == "results/paper"


def test_the_grid_places_its_files_in_its_world():
    for configfile, world in (("config/config.yaml", "embedded"), ("config/paper.yaml", "paper")):
        ex = Experiments(load_config(ROOT / configfile, ROOT))
        files = [*ex.manifest, *ex.model_files(), *ex.metrics_files(), *ex.study_targets()]
        files += [folder for name in ex.training_sets for folder in ex.training_inputs(name).values()]
        paper = {f for f in files if f.split("/")[1] == "paper"}
        assert paper == (set(files) if world == "paper" else set())
    assert "results/tables/width_depth.csv" in Experiments(load_config(ROOT / "config/config.yaml", ROOT)).manifest
