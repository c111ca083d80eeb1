"""Released checkpoints and imported benchmarks: config, table, and the paper overlay's DAG."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from dvc_plans import planned_dvc_yaml
from face_files import released_checkpoint
from repo_copy import ROOT, job_field, planned_jobs
from test_analysis import plant
from test_evaluate_cli import model_file, write_pair_dataset

from synface.analysis.tables import write_table
from synface.config import load_config
from synface.dvcgen import dvc_stages
from synface.errors import SynfaceError
from synface.evaluate.released import write_released_table
from synface.experiments import Experiments
from synface.layout import RELEASED_TABLE, evaluation_set_path, in_world
from synface.naming import BENCHMARKS, TEST_SETS, claimed_lfw
from synface.runtime import modelfile

PAPER_YAML = (ROOT / "config/paper.yaml").read_text()
PAPER = yaml.safe_load(PAPER_YAML)


def with_official_releases(paper_yaml: str) -> str:
    """config/paper.yaml's text with the official releases' list uncommented in place of `[]`, the
    edit docs/paper_scale.md § The official released checkpoints asks for."""
    text, replaced = re.subn(
        r"^released_checkpoints: \[\]\n# (released_checkpoints:)$", r"\1", paper_yaml, flags=re.MULTILINE
    )
    text, entries = re.subn(r"^# (  - \{name: )", r"\1", text, flags=re.MULTILINE)
    assert (replaced, entries) == (1, 4), "config/paper.yaml: the commented list of the 4 releases is gone"
    return text


RELEASES = yaml.safe_load(with_official_releases(PAPER_YAML))["released_checkpoints"]  # the four official ones


def paper_with_releases(tmp_path: Path) -> dict:
    """The paper world's config with the official releases uncommented."""
    overlay = tmp_path / "paper.yaml"
    overlay.write_text(with_official_releases(PAPER_YAML))
    return load_config(overlay, ROOT)


def _config(world: str = "embedded", **overrides) -> dict:
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["world"] = world
    if world == "paper":
        config["imports"] = copy.deepcopy(PAPER["imports"])
    config.update(overrides)
    return config


@pytest.mark.parametrize(
    ("name", "claimed"),
    [
        ("model_10k_50_nomix_8898.pth.tar", 88.98),
        ("model_10k_50_idmix_9197.pth.tar", 91.97),
        ("model_best_2021-03-05-17-08_0.9578.pth.tar", 95.78),
        ("model_best_2021-03-05-19-49_0.9765.pth.tar", 97.65),
        ("/some/dir/model_10k_50_idmix_9197.pth", 91.97),
        ("model.pt", None),
        ("model_2021.pth.tar.bak", None),
    ],
)
def test_official_release_names_state_their_lfw_accuracy(name, claimed):
    assert claimed_lfw(name) == claimed


def test_the_papers_releases_claim_the_papers_lfw_numbers(tmp_path):
    """config/paper.yaml's released list: each file's claimed LFW accuracy is the paper's for its row."""
    ex = Experiments(paper_with_releases(tmp_path))
    paper = {row["train"]: row["paper"]["lfw"] for rows in ex.grid().values() for row in rows}
    released = ex.released_checkpoints()
    assert [c["name"] for c in released] == ["Syn_10K_50", "Syn_10K_50_IM", "Mix_2K_10", "Mix_2K_20"]
    assert all(c["claimed"] == {"lfw": paper[c["name"]]} for c in released)
    assert {(c["arch"], tuple(c["input_hw"]), c["embedding"]) for c in released} == {("lresnet50e_ir", (112, 96), 512)}


def test_the_paper_overlay_lists_the_releases_in_a_comment_only():
    """None by default, so that a dry run needs no checkpoint file (the list is commented out)."""
    config = load_config(ROOT / "config/paper.yaml", ROOT)
    assert PAPER["released_checkpoints"] == [] and Experiments(config).released_checkpoints() == []
    assert "table_released_checkpoints" not in planned_dvc_yaml("config/paper.yaml")["stages"]


def test_the_embedded_default_has_no_released_checkpoints_and_no_benchmarks():
    ex = Experiments(load_config(ROOT / "config/config.yaml", ROOT))
    assert ex.released_checkpoints() == [] and ex.evaluated_test_sets == ("lfw", "syn_lfw")
    assert all(row["test"] in (["lfw"], ["lfw", "syn_lfw"]) for rows in ex.grid().values() for row in rows)


def test_every_table_row_gains_each_imported_benchmark():
    ex = Experiments(_config("paper"))
    assert ex.benchmarks == BENCHMARKS
    assert ex.evaluated_test_sets == ("lfw", "syn_lfw", *BENCHMARKS)
    rows = ex.grid()
    assert rows["cross_domain"][0]["test"] == ["lfw", "syn_lfw", *BENCHMARKS]
    assert rows["width_depth"][0]["test"] == ["lfw", *BENCHMARKS]
    assert ("Syn_1K_50", 0, "cfp_fp") in ex.metrics_needed()


def test_a_test_set_the_world_does_not_evaluate_is_refused_naming_it():
    config = _config()
    config["experiments"]["width_depth"][0]["test"] = ["lfw", "cfp_fp"]
    with pytest.raises(SynfaceError, match=r"^experiments.width_depth: test set 'cfp_fp' is not evaluated in the "):
        Experiments(config).grid()
    entry = {"name": "x", "path": "x.pt", "arch": "lresnet50e_ir", "input": [112, 96], "claimed": {"agedb_30": 90.0}}
    with pytest.raises(SynfaceError, match=r"^released_checkpoints: x: claimed: test set 'agedb_30'"):
        Experiments(_config(released_checkpoints=[entry])).released_checkpoints()


def test_two_released_checkpoints_of_one_name_are_refused():
    entry = {"name": "twice", "path": "a.pt", "arch": "lresnet50e_ir", "input": [112, 96]}
    with pytest.raises(SynfaceError, match="released_checkpoints: name twice given twice"):
        Experiments(_config(released_checkpoints=[entry, {**entry, "path": "b.pt"}])).released_checkpoints()


def test_a_table_has_a_row_per_benchmark_and_the_paper_value_only_for_lfw(tmp_path):
    config = _config("paper", seeds=[0, 1, 2])
    ex = Experiments(config)
    files = plant(
        tmp_path, lambda train, seed, test: 0.5 + 0.01 * BENCHMARKS.index(test) if test in BENCHMARKS else 0.9, config
    )
    write_table("cross_domain", ex.grid()["cross_domain"], ex.seeds, files, tmp_path / "cd.csv", "paper")
    table = pd.read_csv(tmp_path / "cd.csv")
    assert list(table["test"]) == ["lfw", "syn_lfw", *BENCHMARKS] * 2
    by_test = table[table["train"] == "Real"].set_index("test")
    assert list(by_test.loc[list(BENCHMARKS), "accuracy"]) == [50.0, 51.0, 52.0, 53.0]
    assert by_test.loc[list(BENCHMARKS), "paper"].isna().all() and by_test.loc["lfw", "paper"] == 99.18


def test_released_table_evaluates_each_checkpoint_on_each_test_set_beside_its_claim(tmp_path):
    lfw, syn = write_pair_dataset(tmp_path / "lfw"), write_pair_dataset(tmp_path / "syn_lfw", seed=1)
    ours = model_file(tmp_path / "model.pt")
    state = modelfile.load(ours, modelfile.MODEL_FORMAT)["state_dict"]
    released = released_checkpoint(tmp_path / "model_10k_50_idmix_9197.pth.tar", state)
    entry = {"name": "IM", "path": str(released), "arch": "lresnet10e_ir_tiny", "input": [32, 32], "embedding": 16}
    bare = {**entry, "name": "bare", "path": str(released_checkpoint(tmp_path / "bare.pt", state, wrap=False))}
    checkpoints = Experiments(_config(released_checkpoints=[entry, bare])).released_checkpoints()
    write_released_table(checkpoints, {"lfw": lfw, "syn_lfw": syn}, tmp_path / "released.csv", "embedded", threads=1)
    table = pd.read_csv(tmp_path / "released.csv")
    assert list(zip(table["checkpoint"], table["test"], strict=True)) == [
        ("IM", "lfw"),
        ("IM", "syn_lfw"),
        ("bare", "lfw"),
        ("bare", "syn_lfw"),
    ]
    from synface.evaluate.verify import evaluate_model_on

    expected = [100 * m["accuracy_mean"] for m in evaluate_model_on(ours, [lfw, syn], threads=1)]
    assert table["accuracy"].tolist() == pytest.approx(expected * 2, abs=0.005)
    assert table.loc[0, "file"] == "model_10k_50_idmix_9197.pth.tar" and table.loc[0, "input"] == "32x32"
    assert table.loc[0, "claimed"] == 91.97 and table.loc[0, "delta"] == pytest.approx(expected[0] - 91.97, abs=0.006)
    assert np.isnan(table.loc[1, "claimed"]) and np.isnan(table.loc[2, "claimed"])  # syn_lfw; bare.pt claims none


def test_paper_world_dvc_yaml_takes_benchmarks_and_checkpoints_as_dependencies(tmp_path):
    stages = dvc_stages(paper_with_releases(tmp_path), "config/paper.yaml")["stages"]
    outs = {path for s in stages.values() for out in s["outs"] for path in out}
    benchmarks = {evaluation_set_path(b, world="paper") for b in BENCHMARKS}
    assert benchmarks.isdisjoint(outs) and benchmarks <= set(stages["metrics"]["deps"])
    released = stages["table_released_checkpoints"]
    assert released["outs"] == [{in_world(RELEASED_TABLE, "paper"): {"cache": False, "persist": True}}]
    files = [Path(c["path"]).name for c in RELEASES]
    assert [Path(d).name for d in released["deps"] if d.startswith("/data/")] == files
    assert "synface/evaluate/released.py" in released["deps"] and benchmarks <= set(released["deps"])
    assert released["params"] == [{"config/paper.yaml": ["released_checkpoints", "world"]}]
    assert "table_released_checkpoints" not in planned_dvc_yaml()["stages"]


def planned_paper(*configfiles: str) -> list[str]:
    """The jobs of a dry run of every target of the paper world (`--forceall`: whatever lies in data/)."""
    snakemake = str(Path(sys.executable).with_name("snakemake"))
    command = [snakemake, "--dry-run", "--forceall", "--configfile", *configfiles]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr
    return planned_jobs(run.stdout)


def test_the_paper_overlay_as_committed_plans_a_dry_run_without_any_data():
    """`snakemake -n paper --configfile config/paper.yaml` on a machine without the imports' sources
    (no /data here) and with no released checkpoint listed: the imports are planned, each source an
    input only where it exists (the job itself names a missing one), and no released checkpoints' table."""
    jobs = planned_paper("config/paper.yaml")
    imports = [job for job in jobs if job.startswith("import_")]
    assert sorted(job.split(":")[0] for job in imports) == sorted(
        ["import_casia_webface", "import_lfw", *["import_benchmark"] * len(BENCHMARKS)]
    )
    sources = [path for job in imports for path in job_field(job, "input").split(", ") if path.startswith("/")]
    assert all(Path(path).exists() for path in sources), sources
    assert not [job for job in jobs if job.startswith("released_checkpoints:")]
    ex = Experiments(load_config(ROOT / "config/paper.yaml", ROOT))
    assert len([job for job in jobs if job.startswith("train:")]) == len(ex.runs())


def test_the_paper_overlay_plans_every_benchmark_and_the_released_checkpoints(tmp_path):
    """A dry run of config/paper.yaml with the imports (CASIA-WebFace, LFW, the four .bin packs) and
    the released checkpoints at temporary paths: each pack is imported once, every model is
    evaluated on all six test sets, and the released checkpoints' table is part of `paper`."""
    imports = {"casia_webface": tmp_path / "casia", "lfw_images": tmp_path / "lfw", "lfw_pairs": tmp_path / "pairs.txt"}
    imports["casia_webface"].mkdir()
    imports["lfw_images"].mkdir()
    imports["lfw_pairs"].touch()
    packs = {b: tmp_path / f"{b}.bin" for b in BENCHMARKS}
    released = [{**c, "path": str(tmp_path / Path(c["path"]).name)} for c in RELEASES]
    for path in [*packs.values(), *(c["path"] for c in released)]:
        Path(path).touch()
    overlay = tmp_path / "imports.yaml"
    given = {
        "imports": {**{k: str(v) for k, v in imports.items()}, "benchmarks": {b: str(p) for b, p in packs.items()}}
    }
    overlay.write_text(yaml.safe_dump({**given, "released_checkpoints": released}))
    jobs = planned_paper("config/paper.yaml", str(overlay))
    imported = {
        job_field(b, "output"): job_field(b, "input").split(", ")[0] for b in jobs if b.startswith("import_benchmark:")
    }
    assert imported == {evaluation_set_path(b, world="paper"): str(packs[b]) for b in BENCHMARKS}
    evaluations = [job_field(b, "output").split(", ") for b in jobs if b.startswith("evaluate:")]
    ex = Experiments(load_config(ROOT / "config/paper.yaml", ROOT))
    assert len(evaluations) == len(ex.runs())
    assert all([Path(o).stem for o in outs] == list(ex.evaluated_test_sets) for outs in evaluations)
    table = [b for b in jobs if b.startswith("released_checkpoints:")]
    paper_table = in_world(RELEASED_TABLE, "paper")
    assert len(table) == 1 and job_field(table[0], "output") == paper_table
    assert all(c["path"] in job_field(table[0], "input") for c in released)
    assert paper_table in job_field(next(b for b in jobs if b.startswith("paper:")), "input")
    # the paper world writes beside the embedded one, never over its data, models or committed results
    outputs = {out for b in jobs if "\n    output: " in b for out in job_field(b, "output").split(", ")}
    assert len(outputs) > 1000 and all(out.split("/")[1] == "paper" for out in outputs), sorted(outputs)[:5]


def test_the_schema_knows_the_benchmarks_by_the_same_names():
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    assert schema["$defs"]["test_set"]["enum"] == [*TEST_SETS, *BENCHMARKS]
    assert schema["properties"]["imports"]["properties"]["benchmarks"]["propertyNames"]["enum"] == list(BENCHMARKS)
