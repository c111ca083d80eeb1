"""The experiment grid derived from config: names, scaling, base sets, runs, dvc.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from synface.dvcgen import dvc_stages
from synface.errors import SynfaceError
from synface.experiments import Experiments, paper_count
from synface.generator.sampling import GenerationSettings

ROOT = Path(__file__).resolve().parents[1]
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
    stages = dvc_stages(config, name)["stages"]
    outs = [o for s in stages.values() for o in s["outs"]]
    assert len(outs) == len(set(outs))
    manifest = set(config["manifest"])
    assert manifest <= set(outs)
    for stage in stages.values():
        assert not manifest & set(stage["deps"]), stage["cmd"]
    assert list(stages)[:3] == ["datasets", "models", "metrics"]


def test_committed_dvc_yaml_is_generated_from_the_default_config():
    committed = yaml.safe_load((ROOT / "dvc.yaml").read_text())
    assert committed == dvc_stages(_config(), "config/config.yaml"), "run `synface dvc-yaml` after changing config"
