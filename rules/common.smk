# Helpers only: the software environment, the experiment grid and input functions.
import re

from synface.codedeps import code_files
from synface.experiment_checks import check_experiments
from synface.experiments import Experiments, unique
from synface.layout import (
    FEATURES,
    RELEASED_TABLE,
    TUNING_RESULTS,
    dev_metrics_path,
    evaluation_set_path,
    figure_path,
    headline_path,
    in_world,
    lfw_layout_path,
    metrics_path,
    model_path,
    pose_variant_layout_path,
    pose_variant_path,
    real_train_path,
    real_train_shard_path,
    results_file,
    run_files,
    steps_path,
    study_metrics_path,
    study_path,
    summary_files,
    synthetic_set_path,
    synthetic_shard_path,
    table_path,
    table_view_path,
)
from synface.naming import CHOSEN, SPLITS, TEST_SETS


conda: "../workflow/envs/synface.yaml"


EXPERIMENTS = Experiments(config)
WORLD = (
    EXPERIMENTS.world
)  # the world's files live apart from the default world's (synface.layout)
check_experiments(EXPERIMENTS)
EVALUATED = EXPERIMENTS.evaluated_test_sets  # every model's test sets
# external checkpoints, evaluated by rules/released.smk
RELEASED = EXPERIMENTS.released_checkpoints()
# the studies' stand-in LFW variants: name -> pose scale
POSE_VARIANTS = EXPERIMENTS.pose_variants


def code(script):
    """A job's code as inputs: its script and the library modules it imports, so that a job
    reruns when code it runs changed (and only then)."""
    return code_files(f"workflow/scripts/{script}.py")


# What a job asks of the machine or the cluster: one group of config `resources` per kind of job,
# so that a world (config/paper.yaml) sizes its jobs in one place.
def job_threads(group):
    return config["resources"][group]["threads"]


def job_resources(group):
    """Memory, wall time and GPUs; no GPU count when none is asked (SLURM: no --gpus)."""
    asked = config["resources"][group]
    return {k: v for k, v in asked.items() if k != "threads" and (k != "gpu" or v)}


wildcard_constraints:
    base="|".join(EXPERIMENTS.base_sets) or "none",
    generated_test_set="|".join(EXPERIMENTS.generated_test_sets),
    split="|".join(SPLITS),
    candidate="|".join(c for c in EXPERIMENTS.tuning_candidates if c != CHOSEN)
    or "none",
    tuned="|".join(EXPERIMENTS.tuning_candidates) or "none",
    train="|".join(EXPERIMENTS.training_sets),
    seed=r"\d+",
    table="|".join(EXPERIMENTS.tables),
    folder="tables|tuning|studies",
    study="|".join(EXPERIMENTS.studies) or "none",
    pose_variant="|".join(re.escape(v) for v in POSE_VARIANTS) or "none",
    name=r"\w+",
    shard=r"\d+",


def synthetic_settings(wildcards):
    """GenerationSettings keyword arguments of a synthetic base set."""
    return EXPERIMENTS.generation_settings(wildcards.base)


def synthetic_shards(wildcards):
    return [
        synthetic_shard_path(wildcards.base, shard, WORLD)
        for shard in range(config["generator"]["shards"])
    ]


def real_train_shards(wildcards):
    return [
        real_train_shard_path(shard, WORLD)
        for shard in range(config["real_domain"]["shards"])
    ]


def training_inputs(wildcards):
    """The dataset folders a run trains on (syn and/or real)."""
    return EXPERIMENTS.training_inputs(wildcards.train)


def training_settings(wildcards):
    return EXPERIMENTS.training_settings(wildcards.train, int(wildcards.seed))


def table_metrics(wildcards):
    return EXPERIMENTS.table_metrics(wildcards.table)


# The paper tables' rows as plain values: a job's params (a rerun trigger) are what it reads, so
# that it reruns on a change of its own rows or the seeds, not on any config edit.
GRID = EXPERIMENTS.grid()


def table_rows(wildcards):
    return GRID[wildcards.table]


# The training curves figure: per table, each of its training sets' steps files over seeds.
TRAINING_CURVES = {
    table: {
        train: [steps_path(train, seed, WORLD) for seed in EXPERIMENTS.seeds]
        for train in unique(row["train"] for row in rows)
    }
    for table, rows in EXPERIMENTS.tables.items()
}


def training_curve_files(wildcards):
    return unique(
        f for sets in TRAINING_CURVES.values() for files in sets.values() for f in files
    )


def evaluation_protocol(wildcards):
    """The LFW-style protocol of a generated test or dev set."""
    return EXPERIMENTS.protocol(wildcards.split)


def tuning_settings(wildcards):
    return EXPERIMENTS.training_settings(
        wildcards.train, int(wildcards.seed), wildcards.candidate
    )


def tuning_model(wildcards):
    """A tuning run's model: the grid's own for the chosen settings."""
    return run_files(wildcards.train, wildcards.seed, wildcards.tuned)["model"]


def pose_variant_settings(wildcards):
    """write_standin_lfw keyword arguments of a study's stand-in LFW variant."""
    return EXPERIMENTS.pose_variant_settings(wildcards.pose_variant)


def study_design(wildcards):
    """A study's comparisons and text as plain values (its job's params)."""
    return EXPERIMENTS.studies[wildcards.study]


def study_metrics(wildcards):
    return EXPERIMENTS.study_metrics_files(wildcards.study)


# The report's menu lists its categories by name: "Claims" comes first and holds the claims'
# verdicts and the headline figure, Table 2 (claims 2 to 5 are about it).
REPORT_FIRST = "Claims"
HEADLINE_FIGURE = "width_depth"
# Each reported result's subcategory in words (a name not here: its name, spaced).
REPORT_NAMES = {
    "claims": "the paper's claims: verdicts and evidence",
    "cross_domain": "Table 1: real vs synthetic",
    "width_depth": "Table 2: width and depth",
    "domain_mixup": "Table 3: domain mixup",
    "attributes": "Fig. 5: attributes",
    "feature_distribution": "Fig. 4: feature distributions",
    "training_curves": "training loss per step",
    "final_loss": "final training loss per run",
    "released_checkpoints": "released checkpoints",
    "embedded": "dev accuracy of each candidate",
    "convergence": "convergence check",
    "dm_real_identities": "claim 8: more real identities under domain mixup",
    "light_vs_pose": "claim 7: illumination vs pose as faces turn frontal",
}


def in_words(name):
    return REPORT_NAMES.get(name, name.replace("_", " "))


def report_category(wildcards):
    """A table view's report category: Claims for the claims, else its results folder's name
    (Tables, Tuning, Studies)."""
    return REPORT_FIRST if wildcards.name == "claims" else wildcards.folder.capitalize()


def report_subcategory(wildcards):
    """A result's subcategory: its table, study or figure name in words."""
    return in_words(
        wildcards.get("name") or wildcards.get("table") or wildcards.get("study")
    )


def figure_category(wildcards):
    """A results figure's category: the headline figure opens the report beside the claims."""
    return REPORT_FIRST if wildcards.table == HEADLINE_FIGURE else "Figures"
