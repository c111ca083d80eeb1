"""Generate dvc.yaml from the Snakemake workflow: coarse stages, and what each runs and reads as
Snakemake plans it (synface.snakemake_plan), so that the DAG is described once, by the rules.

The stages are few and fixed: datasets -> models -> metrics -> metrics_summary -> one stage per
paper target -> tuning -> studies -> report, each running Snakemake for exactly its own outputs.
What a stage depends on comes from the jobs Snakemake would run for those outputs: the rule files
and the code each rule takes as input (`code=`, synface.codedeps of its script, so an edit of
synface/figures/ reruns only figure stages), and the upstream stages' outputs and the imported
data their inputs lie in. The config keys a stage reads, the keys its rules' params are made of,
are the tables below (tests/workflow/test_workflow.py checks them against Snakemake's rerun trigger).

The two agree on what is stale because DVC never deletes an output before running a stage
(`persist`): Snakemake decides what to recompute, so after a Snakemake run `dvc repro` only
records hashes. Datasets and models are cached (shared through a DVC remote); the runs' training
logs, their metrics, the summary `dvc metrics show` reads and the paper targets are small and
committed to git (`cache: false`). In the paper world the imported real data (CASIA-WebFace, LFW,
the benchmark packs) is `dvc add`ed by the user and is a dependency of the stages, not an output
of one; so are the released checkpoints.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synface.codedeps import ROOT, code_files
from synface.config import CONFIG, SCHEMA, load_config
from synface.experiments import Experiments
from synface.io.atomic import write_text
from synface.io.yamlfile import read_yaml
from synface.layout import (
    FEATURES,
    RELEASED_TABLE,
    REPORT,
    STUDY_RESULTS,
    TUNING_METRICS,
    TUNING_MODELS,
    TUNING_RESULTS,
    evaluation_set_path,
    headline_path,
    in_world,
    metrics_folder,
    model_path,
    pose_variant_path,
    real_train_path,
    run_folder,
    steps_path,
    summary_files,
    synthetic_set_path,
    table_view_path,
)
from synface.naming import TEST_SETS
from synface.snakemake_plan import plan

# Every stage's DAG: the Snakefile, the helpers rules/common.smk defines it with, and the schema.
DAG = [
    "Snakefile",
    "rules/common.smk",
    SCHEMA,
    *code_files("synface/experiments.py"),
    *code_files("synface/config.py"),
    *code_files("synface/codedeps.py"),
]
TRAINING_LOGS = ("log.csv", "steps.csv")  # each run's per-epoch and per-step records (synface.train.loop)
CAPTIONS = "workflow/report"
# The config keys a stage's jobs read (`dvc params diff` and staleness follow them): the rules'
# params, by section (a dotted key: part of one). The coarse stages read every key that shapes
# their jobs; a table's stage (and its figure's) reads its own rows, `experiments.<table>`.
DATASET_PARAMS = [
    *("world", "scale", "generator", "real_domain", "test_sets"),
    *("experiments", "domain_mixup", "studies", "feature_distribution"),  # the sets and runs of the grid
]
MODEL_PARAMS = [*DATASET_PARAMS, "seeds", "model", "training"]
GRID_PARAMS = ["experiments", "seeds"]  # the tables' rows and the seeds
RULE_PARAMS = {  # a paper target's rule
    "figure_training_curves": [*GRID_PARAMS, "world"],
    "claims": [*GRID_PARAMS, "domain_mixup", "world"],
    "final_loss": GRID_PARAMS,
    "figure_feature_distribution": ["world"],
    "released_checkpoints": ["released_checkpoints", "world"],
    **{f"figure_{name}": [f"figures.{name}"] for name in ("samples", "identity_mixup", "factor_variation")},
}
TABLE_RULES = ("table", "figure_results")  # one rule for every table, one for every table's figure
TUNING_PARAMS = [*MODEL_PARAMS, "tuning", "dev_sets"]
STUDY_PARAMS = ["studies", "test_sets", "seeds", "world"]  # the variants' protocol is the test sets'
REPORT_PARAMS = ["world", "seeds"]  # the report's description names both
# Paper-world data the user imports and `dvc add`s (and the imported benchmarks, `imported`);
# everywhere else every dataset is generated.
IMPORTED = {"paper": [real_train_path("paper"), evaluation_set_path("lfw", world="paper")]}


@dataclass
class Stage:
    """A stage before Snakemake's plan fills in its dependencies."""

    targets: list[str]  # what its Snakemake call makes
    params: list[str]
    outs: list[Any] = field(default_factory=list)
    metrics: list[Any] = field(default_factory=list)
    then: str = ""  # a second command, after Snakemake's

    def paths(self) -> list[str]:
        return [path for out in [*self.outs, *self.metrics] for path in out]


def imported(ex: Experiments) -> list[str]:
    """The world's imported datasets: IMPORTED's and each imported benchmark's."""
    return [*IMPORTED.get(ex.world, []), *(evaluation_set_path(b, world=ex.world) for b in ex.benchmarks)]


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


def _cached(paths: list[str]) -> list[Any]:
    return [{path: {"persist": True}} for path in paths]


def _committed(paths: list[str]) -> list[Any]:
    return [{path: {"cache": False, "persist": True}} for path in paths]


def _stages(ex: Experiments) -> dict[str, Stage]:
    """The coarse stages of `ex`'s DAG: what each makes, and the config keys its rules read."""
    w = ex.world  # every path in this world's folders (synface.layout)
    test_sets = [evaluation_set_path(t, world=w) for t in ex.evaluated_test_sets]
    datasets = [*(synthetic_set_path(name, w) for name in ex.base_sets), real_train_path(w), *test_sets]
    generated = [d for d in datasets if d not in imported(ex)]
    runs = [(name, seed) for name in ex.training_sets for seed in ex.seeds]
    summary = summary_files(ex.grid(), w)
    stages = {
        "datasets": Stage(generated, DATASET_PARAMS, _cached(generated)),
        "models": Stage(
            ["models"],
            MODEL_PARAMS,
            [  # the models in the cache; the training logs small, so that every run's curve is in a clone
                *_cached([model_path(name, seed, w) for name, seed in runs]),
                *_committed(
                    [f"{run_folder(name, seed, world=w)}/{log}" for name, seed in runs for log in TRAINING_LOGS]
                ),
            ],
        ),
        # small: every seed's numbers readable in a clone
        "metrics": Stage(
            ["metrics", in_world(FEATURES, w)],
            MODEL_PARAMS,
            _committed([metrics_folder(w), str(Path(in_world(FEATURES, w)).parent)]),
        ),
        "metrics_summary": Stage(["metrics_summary"], GRID_PARAMS, metrics=_committed(summary)),
    }
    for target in ex.manifest:
        kind = "figure" if target.endswith(".png") else "table"
        stages[f"{kind}_{Path(target).stem}"] = Stage([target], [], _committed([target]))
    reported = [*ex.manifest, *summary]
    released = in_world(RELEASED_TABLE, w)
    if ex.released_checkpoints():  # the released checkpoints are deps where they lie
        stages[f"table_{Path(released).stem}"] = Stage([released], [], _committed([released]))
        reported.append(released)
    if ex.tuning:  # the embedded world only: its paths are the default world's
        dev = [evaluation_set_path(t, "dev") for t in TEST_SETS]
        stages["tuning"] = Stage(
            ["tuning"],
            TUNING_PARAMS,
            [*_cached([*dev, TUNING_MODELS, TUNING_METRICS]), *_committed(list(TUNING_RESULTS.values()))],
        )
        reported += TUNING_RESULTS.values()
    if ex.studies:  # the stand-in LFW variants (cached), the models' metrics on them and the studies (committed)
        variants = [pose_variant_path(v, w) for v in ex.pose_variants]
        stages["studies"] = Stage(
            ["studies"],
            STUDY_PARAMS,
            [
                *_cached(variants),
                *_committed([f"{in_world(STUDY_RESULTS, w)}/metrics"] if variants else []),
                *_committed(ex.study_targets()),
            ],
        )
        reported += ex.study_targets()
    # `snakemake --report` of everything reported, with an HTML view of each table, and its start page
    views = [table_view_path(t, w) for t in reported if t.endswith(".csv")]
    report = in_world(REPORT, w)
    stages["report"] = Stage(["report_contents"], REPORT_PARAMS, _committed([*views, headline_path(w), report]))
    stages["report"].then = f"snakemake --report {report} report_contents"
    return stages


def _plan(config: dict[str, Any], ex: Experiments, stages: dict[str, Stage]) -> dict[str, dict[str, list[str]]]:
    boundaries = [*(path for stage in stages.values() for path in stage.paths()), *imported(ex)]
    return plan(config, {name: (s.targets, s.paths()) for name, s in stages.items()}, boundaries)


def stage_rules(config: dict[str, Any]) -> dict[str, list[str]]:
    """The rules each stage runs, as Snakemake plans them."""
    ex = Experiments(config)
    return {name: planned["rules"] for name, planned in _plan(config, ex, _stages(ex)).items()}


def dvc_stages(config: dict[str, Any], configfile: str) -> dict[str, Any]:
    """The dvc.yaml document for `config` (the merged config of `configfile`)."""
    ex = Experiments(config)
    stages = _stages(ex)
    planned = _plan(config, ex, stages)
    captions = sorted(str(p.relative_to(ROOT)) for p in (ROOT / CAPTIONS).glob("*.rst"))
    document = {}
    for name, stage in stages.items():
        rules, code, reads = planned[name]["rules"], planned[name]["code"], planned[name]["reads"]
        params = _by_table(stage.params or _target_params(rules[0], Path(stage.targets[0]).stem, ex), ex)
        cmd = f"snakemake --cores all {' '.join(stage.targets)} --configfile {configfile}"
        document[name] = {
            "cmd": cmd + (f" && {stage.then} --configfile {configfile}" if stage.then else ""),
            "deps": [*sorted({*DAG, *code, *(captions if name == "report" else [])}), *reads],
            "params": _params(configfile, params),
            "outs": stage.outs,
            **({"metrics": stage.metrics} if stage.metrics else {}),
        }
    return {"stages": document, "plots": _plots(ex, ex.manifest)}


def _target_params(rule: str, name: str, ex: Experiments) -> list[str]:
    """A paper target's config keys; a table (or its figure) reads its own rows, not the whole grid."""
    if rule in TABLE_RULES and name in ex.tables:
        return [f"experiments.{name}", "seeds", "world"]
    return RULE_PARAMS[rule]


def _by_table(keys: list[str], ex: Experiments) -> list[str]:
    """`experiments` as its tables' keys: where one stage lists a key and another its sub-key, DVC
    merges the two values by appending lists, and `dvc params diff` would show every row twice."""
    return [k for key in keys for k in ([f"experiments.{t}" for t in ex.tables] if key == "experiments" else [key])]


def _plots(ex: Experiments, manifest: list[str]) -> list[Any]:
    """`dvc plots show`: the figures, each table's accuracies and the loss curves of the first table."""
    tables = [t for t in manifest if t.endswith(".csv") and Path(t).stem in ex.tables]
    curves = {steps_path(row["train"], ex.seeds[0], ex.world): "loss" for row in next(iter(ex.tables.values()), [])}
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
