"""The experiment grid derived from config: names, scaling, base sets, runs, dvc.yaml."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from dvc_plans import planned_dvc_yaml
from repo_copy import ROOT
from snakemake.utils import update_config

from synface.config import load_config, overlay_grid
from synface.dvcgen import TRAINING_LOGS
from synface.errors import SynfaceError
from synface.experiments import Experiments
from synface.generator.sampling import GenerationSettings
from synface.layout import (
    REPORT,
    TUNING_RESULTS,
    evaluation_set_path,
    headline_path,
    real_train_path,
    run_folder,
    steps_path,
    summary_files,
    table_view_path,
)
from synface.naming import paper_count

CONFIGS = ["config/config.yaml", "config/smoke.yaml"]


def _config(name: str = "config/config.yaml") -> dict:
    return yaml.safe_load((ROOT / name).read_text())


def test_paper_counts():
    assert paper_count("10K") == 10000 and paper_count("1.5K") == 1500 and paper_count("50") == 50


def test_training_set_names_parse_into_the_paper_vocabulary():
    ex = Experiments(_config())
    divisor = ex.divisor
    syn = ex.parse("Syn_10K_50_IM")
    assert syn.syn_setting == ("all", True) and syn.syn_subset == (round(10000 / divisor), 50) and not syn.uses_real
    assert ex.parse("Syn_5K_50_pose").syn_setting == ("pose", False)
    real = ex.parse("Real_1K_10")
    assert real.syn_setting is None and real.real_subset == (round(1000 / divisor), 10) and real.uses_real
    assert ex.parse("Real").real_subset is None
    mix = ex.parse("Mix_2K_10")
    assert mix.syn_setting == ("all", True) and mix.real_subset == (round(2000 / divisor), 10) and mix.uses_real
    # the paper's vocabulary as named fields: kind, width N, depth S, identity mixup, factor
    assert (syn.kind, syn.width, syn.depth, syn.identity_mixup, syn.factor) == ("Syn", 10000, 50, True, "all")
    pose = ex.parse("Syn_5K_50_pose")
    assert (pose.width, pose.identity_mixup, pose.factor) == (5000, False, "pose")
    assert (real.kind, real.width, real.depth, real.factor) == ("Real", 1000, 10, None)
    assert (ex.parse("Real").width, ex.parse("Real").depth) == (None, None)
    assert (mix.kind, mix.width, mix.depth, mix.identity_mixup) == ("Mix", 2000, 10, True)
    with pytest.raises(SynfaceError, match="cannot parse"):
        ex.parse("Synthetic_10K")


@pytest.mark.parametrize("name", CONFIGS)
def test_subsets_are_views_of_base_sets_that_can_be_generated(name):
    ex = Experiments(_config(name))
    for train, ts in ex.training_sets.items():
        base = ex.base_of(train)
        if base is None:
            continue
        n, s = ts.syn_subset
        assert n <= base.n_ids and s <= base.per_id, train
    for base in ex.base_sets.values():  # identity mixup needs per_id distinct partners
        GenerationSettings(base.n_ids, base.per_id, base.identity_mixup, base.factor)


def test_shared_sets_are_generated_once():
    ex = Experiments(_config())
    # every width/depth subset w/o IM is a view of one base set, likewise with IM
    assert ex.base_of("Syn_1K_50") == ex.base_of("Syn_10K_2") == ex.base_sets["all_noim"]
    assert ex.base_of("Mix_1K_10") == ex.base_of("Syn_10K_50_IM")
    assert len(ex.runs()) == len(ex.training_sets) * len(ex.seeds)


@pytest.mark.parametrize("name", CONFIGS)
def test_dvc_yaml_owns_each_path_once_and_no_paper_target_reads_another(name):
    config = _config(name)
    stages = planned_dvc_yaml(name)["stages"]
    outs = [path for s in stages.values() for out in [*s["outs"], *s.get("metrics", [])] for path in out]
    assert len(outs) == len(set(outs))
    manifest = set(config["manifest"])
    assert manifest <= set(outs)
    for stage_name, stage in stages.items():  # only the report reads them all
        assert stage_name == "report" or not manifest & set(stage["deps"]), stage["cmd"]
    summary = set(summary_files(Experiments(config).grid()))
    assert manifest | summary <= set(stages["report"]["deps"])
    assert {path for out in stages["metrics_summary"]["metrics"] for path in out} == summary
    assert list(stages)[:3] == ["datasets", "models", "metrics"]
    # DVC never deletes what Snakemake made; results live in git, data and models in the cache
    committed = {path: flags for s in stages.values() for out in s["outs"] for path, flags in out.items()}
    assert all(flags["persist"] for flags in committed.values())
    tuning = set(TUNING_RESULTS.values()) if config["world"] == "embedded" else set()
    views = {table_view_path(t) for t in manifest | tuning if t.endswith(".csv")}
    per_run = {"results/metrics", "results/features"}  # every seed's numbers, readable in a clone
    ex = Experiments(config)
    per_run |= {f"{run_folder(t, seed)}/{log}" for t in ex.training_sets for seed in ex.seeds for log in TRAINING_LOGS}
    studies = set(Experiments(config).study_targets())
    views |= {table_view_path(t) for t in studies if t.endswith(".csv")}
    per_run |= {"results/studies/metrics"} if studies and config["world"] == "embedded" else set()
    assert {path for path, flags in committed.items() if flags.get("cache") is False} == manifest | tuning | views | {
        REPORT,
        headline_path(),
    } | per_run | studies


def test_each_stage_depends_on_the_code_it_runs_and_no_other():
    stages = planned_dvc_yaml()["stages"]
    figures = {name for name, s in stages.items() if "synface/figures/style.py" in s["deps"]}
    # the tuning study and the diagnostic studies draw figures too (their Snakemake calls then redraw only those)
    assert figures == {name for name in stages if name.startswith("figure_")} | {"tuning", "studies"}
    training = {name for name, s in stages.items() if "synface/train/loop.py" in s["deps"]}
    assert training == {"models", "tuning"}  # the tuning study trains its candidates
    assert "synface/generator/render.py" in stages["datasets"]["deps"]
    assert not any("synface/generator/" in d for d in stages["models"]["deps"])


def test_a_stage_reads_what_snakemake_plans_for_its_rules():
    """The data a stage depends on are the upstream outputs its jobs' inputs lie in, as Snakemake
    plans them: no more (a table reads no feature file, training no test set), no less."""
    stages = planned_dvc_yaml()["stages"]
    data = {
        name: [d for d in s["deps"] if not d.endswith((".py", ".smk", ".yaml", "Snakefile"))]
        for name, s in stages.items()
    }
    assert data["table_width_depth"] == ["results/metrics"] and data["figure_samples"] == []
    assert set(data["table_claims"]) == {"results/metrics", "results/features"}
    assert data["figure_feature_distribution"] == ["results/features"]
    assert not any(d.startswith("data/test/") for d in data["models"])
    assert "data/synthetic/none_noim" in data["metrics"]  # Fig. 4 embeds a synthetic set
    steps = {d for d in data["table_final_loss"]}
    ex = Experiments(_config())
    assert steps == {steps_path(row["train"], seed) for rows in ex.tables.values() for row in rows for seed in ex.seeds}
    assert not any(d.startswith("data/test/") for d in data["tuning"])  # the dev split only


def test_paper_world_dvc_yaml_takes_imported_data_as_dependencies():
    stages = planned_dvc_yaml("config/paper.yaml")["stages"]
    outs = {path for s in stages.values() for out in s["outs"] for path in out}
    real, lfw = real_train_path("paper"), evaluation_set_path("lfw", world="paper")
    assert {real, lfw}.isdisjoint(outs)
    # as Snakemake plans it: training reads the real set, evaluation LFW, and no generated set either
    assert real in stages["models"]["deps"] and lfw in stages["metrics"]["deps"]
    assert {real, lfw}.isdisjoint(stages["datasets"]["deps"])
    # the paper world's outputs lie in its own folders, never where the committed embedded results are
    assert all(path.split("/")[1] == "paper" for path in outs)
    params = {file for s in stages.values() for p in s["params"] for file in p}
    assert params == {"config/config.yaml", "config/paper.yaml"}


def test_dvc_yaml_of_a_bad_overlay_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("training: {epochs: many}\n")
    with pytest.raises(SynfaceError, match=r"bad.yaml: .*epochs"):
        load_config(bad, ROOT)


def test_committed_dvc_yaml_is_generated_from_the_default_config():
    committed = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    assert committed == planned_dvc_yaml(), "run `synface dvc-yaml` after changing the config or the code imports"


def test_a_dev_split_with_the_test_sets_seed_is_refused_naming_both():
    config = _config()
    config["dev_sets"]["seed"] = config["test_sets"]["seed"]
    with pytest.raises(SynfaceError, match=r"dev_sets.seed = test_sets.seed .*LFW-dev .*LFW and Syn-LFW"):
        Experiments(config)


def test_the_dev_split_shares_the_test_protocol_but_not_its_people():
    ex = Experiments(_config())
    test, dev = ex.protocol("test"), ex.protocol("dev")
    assert {k: v for k, v in dev.items() if k != "seed"} == {k: v for k, v in test.items() if k != "seed"}
    assert dev["seed"] != test["seed"]


def test_convergence_sets_are_each_tables_smallest_and_largest():
    ends = Experiments(_config()).convergence_ends()
    assert ends["cross_domain"] == ("Syn_10K_50", "Real")  # the whole real set counts as largest
    assert ends["width_depth"][0] == "Syn_10K_2"  # 200 identities x 2 images, the fewest
    assert ends["domain_mixup"][0] == "Real_1K_10"


def test_tuning_candidates_override_the_chosen_settings_and_the_doubled_run_is_twice_as_long():
    config = _config()
    ex = Experiments(config)
    chosen = ex.training_settings("Real", 0)
    doubled = ex.training_settings("Real", 0, "chosen_x2")
    assert (doubled["epochs"], doubled["min_steps"]) == (2 * chosen["epochs"], 2 * chosen["min_steps"])
    name, overrides = next(iter(config["tuning"]["candidates"].items()))
    candidate = ex.training_settings("Real", 0, name)
    assert all(candidate[k] == v for k, v in overrides.items())
    assert all(candidate[k] == chosen[k] for k in chosen if k not in overrides)
    runs = ex.tuning_runs()
    assert {("chosen", t, 0) for t in ex.convergence_sets()} <= set(runs)
    assert {("chosen_x2", t, 0) for t in ex.convergence_sets()} <= set(runs)
    with pytest.raises(SynfaceError, match="no candidate 'nope'"):
        ex.training_settings("Real", 0, "nope")


def test_the_paper_world_has_no_tuning_study():
    config = _config()
    config["world"] = "paper"
    assert Experiments(config).tuning_runs() == []


def _overlaid(tmp_path: Path, overlay: dict) -> dict:
    """The default config with `overlay` applied as the Snakefile does: Snakemake's deep merge, then the grid."""
    path = tmp_path / "overlay.yaml"
    path.write_text(yaml.safe_dump(overlay))
    config = copy.deepcopy(_config())
    update_config(config, overlay)
    overlay_grid(config, [path])
    return config


def test_an_overlays_grid_replaces_the_default_grid_instead_of_merging(tmp_path):
    row = {"row": "RealFace", "train": "Real_1K_10", "test": ["lfw"], "paper": {"lfw": 99.18}}
    manifest = ["results/tables/cross_domain.csv", "results/tables/claims.csv"]
    config = _overlaid(tmp_path, {"experiments": {"cross_domain": [row]}, "manifest": manifest})
    ex = Experiments(config)
    assert ex.tables == {"cross_domain": [row]}  # no width_depth, domain_mixup or attributes inherited
    assert ex.metrics_needed() == [("Real_1K_10", seed, "lfw") for seed in ex.seeds]
    # without `experiments` an overlay keeps the default grid, as for config/paper.yaml
    assert _overlaid(tmp_path, {"seeds": [0]})["experiments"] == _config()["experiments"]


def test_an_overlays_tuning_candidates_replace_the_defaults(tmp_path):
    candidate = {"arcface": {"head": "arcface", "margin": 0.5}}
    tuning = _overlaid(tmp_path, {"tuning": {"candidates": candidate}})["tuning"]
    assert tuning["candidates"] == candidate  # none of the default's three inherited
    assert tuning["sets"] == _config()["tuning"]["sets"]  # the rest of `tuning` still merges
    assert _overlaid(tmp_path, {"tuning": {"seeds": [1]}})["tuning"]["candidates"] == _config()["tuning"]["candidates"]


def test_an_empty_grid_with_a_manifest_that_names_tables_is_a_config_error(tmp_path):
    config = _overlaid(tmp_path, {"experiments": {}})
    with pytest.raises(SynfaceError, match=r"^manifest: results/tables/cross_domain.csv needs experiments.cross_"):
        Experiments(config)
    config["manifest"] = ["results/figures/samples.png"]
    assert Experiments(config).metrics_needed() == []
    config["manifest"] = ["results/figures/width_depth.png"]  # a table's figure needs the table too
    with pytest.raises(SynfaceError, match="needs experiments.width_depth"):
        Experiments(config)


@pytest.mark.parametrize("overlay", ["config/smoke.yaml", "config/paper.yaml"])
def test_the_shipped_overlays_give_the_grids_they_gave_by_deep_merge(overlay):
    merged = copy.deepcopy(_config())
    update_config(merged, _config(overlay))
    replaced = copy.deepcopy(merged)
    overlay_grid(replaced, [ROOT / overlay])
    merged["studies"] = replaced["studies"]  # replaced by design (config/smoke.yaml: none); the grid is compared
    assert Experiments(replaced).training_sets == Experiments(merged).training_sets
    assert Experiments(replaced).tables == Experiments(merged).tables


def test_a_table_stage_reads_its_own_rows_only():
    stages = planned_dvc_yaml()["stages"]
    (params,) = stages["table_width_depth"]["params"]
    assert params == {"config/config.yaml": ["experiments.width_depth", "seeds", "world"]}
    (params,) = stages["table_claims"]["params"]
    tables = [f"experiments.{table}" for table in Experiments(_config()).tables]
    assert set(tables) <= set(params["config/config.yaml"])  # the claims read every table


@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/smoke.yaml", "config/paper.yaml"])
def test_no_stage_lists_a_config_key_another_lists_a_part_of(configfile):
    """DVC merges a key's value with its sub-key's by appending lists: `dvc params diff --all` showed
    every experiments row twice while one stage listed `experiments` and another `experiments.<table>`."""
    keys = {
        key
        for stage in planned_dvc_yaml(configfile)["stages"].values()
        for entry in stage["params"]
        for listed in entry.values()
        for key in listed
    }
    assert not [(a, b) for a in keys for b in keys if b.startswith(f"{a}.")]
