"""The Snakemake workflow: config validation, dry run of every manifest target, lint (Snakemake and ruff)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dvc_plans import planned_dvc_yaml
from repo_copy import ROOT

from synface.config import load_config
from synface.dvcgen import stage_rules
from synface.experiments import Experiments
from synface.layout import model_path

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


def _run(*cmd: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def _snakemake(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return _run(SNAKEMAKE, *args, cwd=cwd)


def test_every_manifest_target_has_a_producing_rule():
    manifest = yaml.safe_load((ROOT / "config/config.yaml").read_text())["manifest"]
    run = _snakemake("--dry-run", *manifest)
    assert run.returncode == 0, run.stderr


def test_evaluation_is_one_job_per_model_that_a_table_reads():
    config = yaml.safe_load((ROOT / "config/smoke.yaml").read_text())
    runs = {(train, seed) for train, seed, _ in Experiments(config).metrics_needed()}
    run = _snakemake(
        "--dry-run", "--forceall", "--configfile", "config/smoke.yaml", "--quiet", "rules"
    )  # target: paper
    assert run.returncode == 0, run.stderr
    counts = dict(line.split() for line in run.stdout.splitlines() if line.startswith("evaluate "))
    assert int(counts["evaluate"]) == len(runs)


def test_jobs_print_no_empty_shell_command():
    run = _snakemake("--dry-run", "--forceall", "metrics_summary", "--configfile", "config/smoke.yaml")
    assert run.returncode == 0, run.stderr
    assert "rule evaluate:" in run.stdout and "Shell command" not in run.stdout  # no rule has a `shell:`


def _job_params(out: Path, *configfiles: Path) -> dict[str, list[str]]:
    run = _run(sys.executable, str(ROOT / "tests/job_params.py"), str(out), *map(str, configfiles))
    assert run.returncode == 0, run.stderr
    return json.loads(out.read_text())


def test_a_config_edit_reruns_only_the_jobs_that_read_it(tmp_path):
    """Jobs get the values they read as params (a rerun trigger), never the whole config: a new
    sample-figure seed changes the params of figure_samples alone, not of a table or the claims."""
    overlay = tmp_path / "samples_seed.yaml"
    overlay.write_text(yaml.safe_dump({"figures": {"samples": {"seed": 8}}}))
    default, edited = _job_params(tmp_path / "default.json"), _job_params(tmp_path / "edited.json", overlay)
    assert edited.keys() == default.keys()
    readers = [job for job in default if job.split()[0] in ("table", "claims", "figure_results", "metrics_summary")]
    assert len(readers) == 4 + 1 + 3 + 1  # the tables, the claims, the result figures, the summary
    assert [job for job in default if edited[job] != default[job]] == ["figure_samples {}"]


@pytest.fixture(scope="module")
def default_params(tmp_path_factory) -> dict[str, list[str]]:
    return _job_params(tmp_path_factory.mktemp("params") / "default.json")


@pytest.mark.parametrize(
    "edit",
    [
        {"training": {"epochs": 25}},
        {"test_sets": {"seed": 2030}},
        {"real_domain": {"seed": 2030}},
        {"dev_sets": {"seed": 2031}},
        {"feature_distribution": {"identities": 5}},
    ],
    ids=["training.epochs", "test_sets.seed", "real_domain.seed", "dev_sets.seed", "feature_distribution.identities"],
)
def test_a_dvc_stage_lists_every_config_key_its_jobs_params_read(tmp_path, default_params, edit):
    """dvc.yaml's params of a stage against Snakemake's rerun trigger: every job whose params an
    edit changes runs in a stage that lists the edited key (or its section). A rule whose jobs run in
    several stages (test_set_folder: the test sets', the dev sets') needs one of them to list it."""
    overlay = tmp_path / "edit.yaml"
    overlay.write_text(yaml.safe_dump(edit))
    edited = _job_params(tmp_path / "edited.json", overlay)
    changed = {job.split()[0] for job in default_params if edited.get(job) != default_params[job]}
    assert changed, "the edit changes some job's params"
    (section,) = edit
    (key,) = edit[section]
    config = load_config(ROOT / "config/config.yaml", ROOT)
    stages = planned_dvc_yaml()["stages"]
    listing = {
        stage
        for stage in stages
        if {section, f"{section}.{key}"} & set(stages[stage]["params"][0]["config/config.yaml"])
    }
    for rule in changed:
        assert listing & {stage for stage, rules in stage_rules(config).items() if rule in rules}, (rule, listing)


def test_schema_rejects_a_misspelt_key(tmp_path):
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    config["generatr"] = config.pop("generator")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    run = _snakemake("--dry-run", "--configfile", str(bad))
    assert run.returncode != 0
    assert "'generatr' was unexpected" in run.stdout + run.stderr


def test_lint_and_format_are_clean():
    lint = _snakemake("--lint")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run(str(Path(sys.executable).with_name("snakefmt")), "--check", "Snakefile", "rules")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


@pytest.mark.skipif(importlib.util.find_spec("ruff") is None, reason="ruff not installed (make setup pins it)")
def test_python_code_passes_ruff():
    for args in (["check", "."], ["format", "--check", "."]):
        run = _run(sys.executable, "-m", "ruff", *args)
        assert run.returncode == 0, f"ruff {' '.join(args)}:\n{run.stdout}{run.stderr}"


def _defaults(schema: dict, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    """(key path, default) of every property in the schema that declares a default."""
    for key, prop in schema.get("properties", {}).items():
        if "default" in prop:
            yield (*path, key), prop["default"]
        yield from _defaults(prop, (*path, key))


def test_schema_defaults_are_the_default_configs_values():
    """One source of truth: a key left out of an overlay means what config/config.yaml says."""
    schema = yaml.safe_load((ROOT / "workflow/schemas/config.schema.yaml").read_text())
    config = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    checked = 0
    for path, default in _defaults(schema):
        if path[0] not in config:
            continue  # a section of the paper world only (imports)
        value = config
        for key in path:
            value = value[key]  # within the default config's sections every defaulted key is set
        assert value == default, f"{'.'.join(path)}: schema default {default!r}, config/config.yaml {value!r}"
        checked += 1
    assert checked >= 20


def _planned_training_job(world: str, *args: str) -> dict[str, int]:
    """Threads, memory, wall time and GPUs of a training job as a dry run plans it (64 cores: no
    thread count scaled down to this machine's)."""
    run = _snakemake(model_path("Syn_1K_50", 0, world), "--dry-run", "--forceall", "--cores", "64", *args)
    assert run.returncode == 0, run.stdout + run.stderr
    job = run.stdout.split("\nrule train:\n", 1)[1].split("\nJob stats:", 1)[0]
    fields = dict(line.strip().split(": ", 1) for line in job.splitlines() if line.startswith("    "))
    resources = dict(pair.split("=", 1) for pair in fields["resources"].split(", "))
    return {"threads": int(fields.get("threads", 1)), **{k: int(resources[k]) for k in ("mem_mb", "runtime", "gpu")}}


@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/paper.yaml"])
def test_a_world_sizes_its_jobs_in_config_resources(configfile):
    """A training job asks what the world's merged config says in `resources.train`: the embedded
    world its 2-core sizes, the paper overlay a cluster job's (docs/paper_scale.md § SLURM); both one GPU."""
    config = load_config(ROOT / configfile, ROOT)
    asked = config["resources"]["train"]
    assert _planned_training_job(config["world"], "--configfile", configfile) == asked
    assert asked["gpu"] == 1


def test_the_studies_target_plans_the_study_jobs_on_the_default_config():
    """`snakemake studies`: the stand-in LFW variants (rendered, imported, each study model evaluated on
    them), the studies' training runs like any grid row (every seed), and one job per study."""
    run = _snakemake("studies", "--dry-run", "--forceall", "--quiet", "rules")
    assert run.returncode == 0, run.stderr
    fields = [line.split() for line in run.stdout.split("Job stats:", 1)[1].splitlines()]
    counts = {f[0]: int(f[1]) for f in fields if len(f) == 2 and f[1].isdigit()}
    studies = ["Syn_10K_50_IM", *(f"{kind}_{n}_10" for n in ("1K", "2K", "5K", "10K") for kind in ("Real", "Mix"))]
    studies += ["Syn_5K_50_illumination", "Syn_5K_50_pose"]
    seeds = len(load_config(ROOT / "config/config.yaml", ROOT)["seeds"])
    assert counts == counts | {
        "study_test_set_folder": 2,  # k = 0.5 and 0 (k = 1 is the test set itself)
        "study_test_set": 2,
        "study_evaluate": 2 * seeds,  # the illumination and pose models, every seed
        "study": 2,
        "studies": 1,
        "train": len(studies) * seeds,
        "evaluate": len(studies) * seeds,
    }
