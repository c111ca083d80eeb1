"""Generate dvc.yaml from the same config as the Snakemake DAG (no hand-kept second list).

Stages follow the DAG: datasets -> models -> metrics -> one stage per paper target. Each stage
runs Snakemake for exactly its own outputs and depends on the upstream stages' outputs, on the
code its rules run (their rule files and `synface.codedeps.code_files` of their scripts, so an
edit of synface/figures/ reruns only figure stages) and on the config keys it reads.

The two agree on what is stale because DVC never deletes an output before running a stage
(`persist`): Snakemake decides what to recompute, so after a Snakemake run `dvc repro` only
records hashes. Datasets and models are cached (shared through a DVC remote); the runs' training
logs, their metrics, the summary `dvc metrics show` reads and the paper targets are small and
committed to git (`cache: false`). In the paper
world the imported real data (CASIA-WebFace, LFW, the benchmark packs) is `dvc add`ed by the user
and is a dependency of the stages, not an output of one; so are the released checkpoints.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from synface.analysis.summary import summary_files
from synface.codedeps import ROOT, code_files
from synface.experiments import (
    CONFIG,
    REAL_TRAIN,
    RELEASED_TABLE,
    REPORT,
    SCHEMA,
    STUDY_RESULTS,
    TEST_SETS,
    TUNING_METRICS,
    TUNING_MODELS,
    TUNING_RESULTS,
    Experiments,
    evaluation_set_path,
    load_config,
    model_folder,
    model_path,
    pose_variant_path,
    run_folder,
    steps_path,
    synthetic_set_path,
    table_view_path,
)
from synface.io.atomic import write_text
from synface.io.yamlfile import read_yaml

# Every stage's DAG: the Snakefile, the helpers rules/common.smk defines it with, and the schema.
DAG = [
    "Snakefile",
    "rules/common.smk",
    SCHEMA,
    *code_files("synface/experiments.py"),
    *code_files("synface/codedeps.py"),
]
FEATURES = "results/features/feature_distribution.json"
# `studies`: the diagnostic studies' training sets join the grid's
DATASET_PARAMS = ["world", "scale", "generator", "real_domain", "test_sets", "experiments", "domain_mixup", "studies"]
MODEL_PARAMS = [*DATASET_PARAMS, "seeds", "model", "training"]
GRID_PARAMS = ["experiments", "seeds"]  # the tables' rows and the seeds
# The config keys each paper target's rule passes its job as params (a dotted key: part of a section).
TARGET_PARAMS = {
    "figure_training_curves": [*GRID_PARAMS, "world"],
    "claims": [*GRID_PARAMS, "domain_mixup", "world"],
    "final_loss": GRID_PARAMS,
    "figure_feature_distribution": ["world"],
    "released_checkpoints": ["released_checkpoints", "world"],
    **{f"figure_{name}": [f"figures.{name}"] for name in ("samples", "identity_mixup", "factor_variation")},
}
MODEL_RULES = ["train"]
TRAINING_LOGS = ("log.csv", "steps.csv")  # each run's per-epoch and per-step records (synface.train.loop)
METRICS_RULES = ["evaluate", "feature_distribution"]
# The dev split's evaluation sets, the candidates' runs and their scores on it, and the tables.
TUNING_RULES = ["test_set_folder", "test_set", "train", "tuning_train", "tuning_evaluate", "tuning_table"]
TUNING_PARAMS = [*MODEL_PARAMS, "tuning"]
# The diagnostic studies: the stand-in LFW variants (rendered, imported, evaluated) and each study's outputs.
STUDY_RULES = ["study_test_set_folder", "study_test_set", "study_evaluate", "study"]
STUDY_PARAMS = ["studies", "test_sets", "seeds", "world"]  # the variants' protocol is the test sets'
REPORT_RULES = ["table_view"]
REPORT_PARAMS = ["world", "seeds"]  # the report's description names both
CAPTIONS = "workflow/report"
# What a paper target's rule reads besides code, where it is not the metrics ("models": the runs' folders).
TARGET_READS = {
    "figure_samples": (),  # these three render faces
    "figure_identity_mixup": (),
    "figure_factor_variation": (),
    "figure_training_curves": ("models",),  # the runs' steps files
    "final_loss": ("models",),
}
# Paper-world data the user imports and `dvc add`s (and the imported benchmarks, `imported`);
# everywhere else every dataset is generated.
IMPORTED = {"paper": [REAL_TRAIN, evaluation_set_path("lfw")]}
# a rule at the top level or in an `if` block (rules/studies.smk)
_RULE = re.compile(r"^ *rule (\w+):\n(.*?)(?=^ *rule |\Z)", re.MULTILINE | re.DOTALL)
_SCRIPT = re.compile(r"script:\s*\n\s*\"\.\./(workflow/scripts/\w+\.py)\"")


@functools.cache  # the rule files are read once per generated dvc.yaml, not once per stage
def rule_scripts() -> dict[str, tuple[str, str | None]]:
    """Every rule of rules/*.smk: its rule file and the script it runs (None: no script)."""
    rules = {}
    for path in sorted((ROOT / "rules").glob("*.smk")):
        for name, body in _RULE.findall(path.read_text()):
            script = _SCRIPT.search(body)
            rules[name] = (f"rules/{path.name}", script and script[1])
    return rules


def stage_code(rule_names: Iterable[str]) -> list[str]:
    """The code a stage runs: the DAG definition, its rules' files, their scripts and modules."""
    rules = rule_scripts()
    files = list(DAG)
    for name in rule_names:
        rule_file, script = rules[name]
        files += [rule_file, *(code_files(script) if script else [])]
    return sorted(dict.fromkeys(files))


def dataset_rules(world: str) -> list[str]:
    """The rules that make the world's datasets: rules/data.smk, and rules/real_{world}.smk unless
    the world's real data is imported (`dvc add`ed by the user, not made by a stage)."""
    files = {"rules/data.smk"} | (set() if world in IMPORTED else {f"rules/real_{world}.smk"})
    return [name for name, (rule_file, _) in rule_scripts().items() if rule_file in files]


def imported(ex: Experiments) -> list[str]:
    """The world's imported datasets: IMPORTED's and each imported benchmark's."""
    return [*IMPORTED.get(ex.config["world"], []), *(evaluation_set_path(b) for b in ex.benchmarks)]


def target_rule(target: str) -> str:
    """The rule that makes a manifest target: its own (claims, figure_samples, ...) or the shared one."""
    name, rules = Path(target).stem, rule_scripts()
    if target.endswith(".png"):
        return f"figure_{name}" if f"figure_{name}" in rules else "figure_results"
    return name if name in rules else "table"


def _sets(overlay: Mapping[str, Any], key: str) -> bool:
    """Whether an overlay sets a (dotted) config key."""
    head, _, rest = key.partition(".")
    return head in overlay and (not rest or isinstance(overlay[head], Mapping) and _sets(overlay[head], rest))


@functools.cache  # read once, not once per stage
def _overlay(configfile: str) -> dict[str, Any]:
    return read_yaml(configfile, "the config") or {}


def _params(configfile: str, keys: list[str]) -> list[dict[str, list[str]]]:
    """DVC params of the merged config: each key from the overlay that sets it, else the default."""
    if Path(configfile).resolve() == (ROOT / CONFIG).resolve():
        return [{CONFIG: keys}]
    overlay = _overlay(configfile)
    given = [k for k in keys if _sets(overlay, k)]
    files = {CONFIG: [k for k in keys if k not in given], configfile: given}
    return [{file: chosen} for file, chosen in files.items() if chosen]


def _stage(
    targets: list[str],
    configfile: str,
    code: list[str],
    deps: list[str],
    params: list[str],
    outs: list[Any],
    **extra: Any,
) -> dict[str, Any]:
    cmd = f"snakemake --cores all {' '.join(targets)} --configfile {configfile}"
    return {"cmd": cmd, "deps": [*code, *deps], "params": _params(configfile, params), "outs": outs, **extra}


def _cached(paths: list[str]) -> list[Any]:
    return [{path: {"persist": True}} for path in paths]


def _committed(paths: list[str]) -> list[Any]:
    return [{path: {"cache": False, "persist": True}} for path in paths]


def dvc_stages(config: dict[str, Any], configfile: str) -> dict[str, Any]:
    """The dvc.yaml document for `config` (the merged config of `configfile`)."""
    ex = Experiments(config)
    test_sets = [evaluation_set_path(t) for t in ex.evaluated_test_sets]
    datasets = [*(synthetic_set_path(name) for name in ex.base_sets), REAL_TRAIN, *test_sets]
    generated = [d for d in datasets if d not in imported(ex)]
    models = [model_folder(name) for name in ex.training_sets]
    runs = [(name, seed) for name in ex.training_sets for seed in ex.seeds]
    summary = summary_files(ex.grid())
    reads = {"models": models, "metrics": ["results/metrics", "results/features"]}
    stages: dict[str, Any] = {
        "datasets": _stage(
            generated,
            configfile,
            stage_code(dataset_rules(config["world"])),
            imported(ex),
            DATASET_PARAMS,
            _cached(generated),
        ),
        "models": _stage(
            ["models"],
            configfile,
            stage_code(MODEL_RULES),
            datasets,
            MODEL_PARAMS,
            [  # the models in the cache; the training logs small, so that every run's curve is in a clone
                *_cached([model_path(name, seed) for name, seed in runs]),
                *_committed([f"{run_folder(name, seed)}/{log}" for name, seed in runs for log in TRAINING_LOGS]),
            ],
        ),
        "metrics": _stage(
            ["metrics", FEATURES],
            configfile,
            stage_code(METRICS_RULES),
            [*models, *test_sets, REAL_TRAIN],
            MODEL_PARAMS,
            _committed(reads["metrics"]),  # small: every seed's numbers readable in a clone
        ),
        "metrics_summary": _stage(
            ["metrics_summary"],
            configfile,
            stage_code(["metrics_summary"]),
            ["results/metrics"],
            GRID_PARAMS,
            [],
            metrics=_committed(summary),
        ),
    }
    for target in config["manifest"]:
        rule = target_rule(target)
        kind = "figure" if target.endswith(".png") else "table"
        stages[f"{kind}_{Path(target).stem}"] = _stage(
            [target],
            configfile,
            stage_code([rule]),
            [path for read in TARGET_READS.get(rule, ("metrics",)) for path in reads[read]],
            _target_params(rule, Path(target).stem, ex),
            _committed([target]),
        )
    reported = [*config["manifest"], *summary]
    if checkpoints := ex.released_checkpoints():  # the released checkpoints are deps where they lie
        stages[f"table_{Path(RELEASED_TABLE).stem}"] = _stage(
            [RELEASED_TABLE],
            configfile,
            stage_code(["released_checkpoints"]),
            [*(c["path"] for c in checkpoints), *test_sets],
            TARGET_PARAMS["released_checkpoints"],
            _committed([RELEASED_TABLE]),
        )
        reported.append(RELEASED_TABLE)
    if ex.tuning:
        dev = [evaluation_set_path(t, "dev") for t in TEST_SETS]
        stages["tuning"] = _stage(
            ["tuning"],
            configfile,
            stage_code(TUNING_RULES),
            [*datasets, *models],  # the chosen settings' runs are the grid's own
            TUNING_PARAMS,
            [*_cached([*dev, TUNING_MODELS, TUNING_METRICS]), *_committed(list(TUNING_RESULTS.values()))],
        )
        reported += TUNING_RESULTS.values()
    if ex.studies:
        stages["studies"] = _studies_stage(ex, configfile)
        reported += ex.study_targets()
    stages["report"] = _report_stage(configfile, reported)
    return {"stages": stages, "plots": _plots(ex, config["manifest"])}


def _target_params(rule: str, name: str, ex: Experiments) -> list[str]:
    """A paper target's config keys; a table (or its figure) reads its own rows, not the whole grid."""
    if rule in ("table", "figure_results") and name in ex.tables:
        return [f"experiments.{name}", "seeds", "world"]
    return TARGET_PARAMS[rule]


def _studies_stage(ex: Experiments, configfile: str) -> dict[str, Any]:
    """`snakemake studies`: the variants of the stand-in LFW (cached) and the models evaluated on them,
    whose metrics (committed) and the metrics stage's make each study's table, verdict and figure."""
    variants = [pose_variant_path(v) for v in ex.pose_variants]
    return _stage(
        ["studies"],
        configfile,
        stage_code(STUDY_RULES),
        [*(model_folder(train) for train in ex.study_variant_sets()), "results/metrics"],
        STUDY_PARAMS,
        [
            *_cached(variants),
            *_committed([f"{STUDY_RESULTS}/metrics"] if variants else []),
            *_committed(ex.study_targets()),
        ],
    )


def _report_stage(configfile: str, reported: list[str]) -> dict[str, Any]:
    """`snakemake --report` of everything reported, with an HTML view of each table."""
    views = [table_view_path(t) for t in reported if t.endswith(".csv")]
    captions = sorted(str(p.relative_to(ROOT)) for p in (ROOT / CAPTIONS).glob("*.rst"))
    stage = _stage(
        ["report_contents"],
        configfile,
        sorted({*stage_code(REPORT_RULES), *captions}),
        reported,
        REPORT_PARAMS,
        _committed([*views, REPORT]),
    )
    stage["cmd"] += f" && snakemake --report {REPORT} report_contents --configfile {configfile}"
    return stage


def _plots(ex: Experiments, manifest: list[str]) -> list[Any]:
    """`dvc plots show`: the figures, each table's accuracies and the loss curves of the first table."""
    tables = [t for t in manifest if t.endswith(".csv") and Path(t).stem in ex.tables]
    curves = {steps_path(row["train"], ex.seeds[0]): "loss" for row in next(iter(ex.tables.values()), [])}
    return [
        *(t for t in manifest if t.endswith(".png")),
        *({t: {"x": "accuracy", "y": "train", "template": "bar_horizontal", "title": Path(t).stem}} for t in tables),
        *(
            [{"training_loss": {"x": "step", "y": curves, "title": f"training loss, seed {ex.seeds[0]}"}}]
            if curves
            else []
        ),
    ]


def write_dvc_yaml(configfile: str | os.PathLike[str], out: str | os.PathLike[str] = "dvc.yaml") -> Path:
    config = load_config(configfile)
    header = "# Generated by `synface dvc-yaml` from the config; do not edit by hand.\n"
    write_text(out, header + yaml.safe_dump(dvc_stages(config, str(configfile)), sort_keys=False, width=200))
    return Path(out)
