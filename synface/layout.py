"""Where every file of the pipeline lives: the one module that spells out paths.

The default world keeps its files where a clone has them: data/, models/, results/ and work/.
Any other world (config `world: paper`) has them one folder down, under data/paper/,
models/paper/, results/paper/ and work/paper/, so that running it never overwrites the
embedded world's datasets, models or committed results. Each function gives the default world's
path unless a `world` is named; `in_world` places any default-world path in a world.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from synface.naming import BENCHMARKS, CHOSEN, TEST_SETS

DEFAULT_WORLD = "embedded"  # config/config.yaml's
REAL_TRAIN = "data/real/real_train"  # stand-in or imported CASIA-WebFace
RELEASED_TABLE = "results/tables/released_checkpoints.csv"  # the official checkpoints, evaluated
FEATURES = "results/features/feature_distribution.json"  # Fig. 4's embeddings and claim 6's spreads
REPORT = "results/report.html"  # `snakemake --report` of the paper targets (and the tuning study)
STUDY_RESULTS = "results/studies"  # {study}.csv, {study}.json, {study}.png and the variants' metrics/
# The tuning study runs in the embedded world only: its candidates' runs (not a training set's
# name), their dev-split metrics, and its committed results (its table, the convergence check, their figure).
TUNING_MODELS = "models/tuning"
TUNING_METRICS = "results/tuning/metrics"
TUNING_RESULTS = {
    "table": "results/tuning/embedded.csv",
    "convergence": "results/tuning/convergence.csv",
    "figure": "results/tuning/embedded.png",
}


def in_world(path: str, world: str = DEFAULT_WORLD) -> str:
    """A default-world path as `world` has it: results/tables/x.csv -> results/paper/tables/x.csv."""
    if world == DEFAULT_WORLD:
        return path
    top, _, rest = path.partition("/")
    return "/".join(part for part in (top, world, rest) if part)


def model_folder(training_set: str, world: str = DEFAULT_WORLD) -> str:
    """Every seed's run of one training set with the chosen settings."""
    return in_world(f"models/{training_set}", world)


def run_folder(training_set: str, seed: int | str, candidate: str = CHOSEN, world: str = DEFAULT_WORLD) -> str:
    """The folder of one run; a tuning candidate's under models/tuning/ (the chosen settings' runs
    are the grid's own, so the tuning study reuses them)."""
    if candidate == CHOSEN:
        return f"{model_folder(training_set, world)}/seed{seed}"
    return in_world(f"{TUNING_MODELS}/{candidate}/{training_set}/seed{seed}", world)


def run_files(
    training_set: str, seed: int | str, candidate: str = CHOSEN, world: str = DEFAULT_WORLD
) -> dict[str, str]:
    """What one run writes: its final model, its per-epoch log and its per-step training losses."""
    folder = run_folder(training_set, seed, candidate, world)
    return {"model": f"{folder}/model.pt", "log": f"{folder}/log.csv", "steps": f"{folder}/steps.csv"}


def model_path(training_set: str, seed: int | str, world: str = DEFAULT_WORLD) -> str:
    """The final model of one run."""
    return run_files(training_set, seed, world=world)["model"]


def steps_path(training_set: str, seed: int | str, world: str = DEFAULT_WORLD) -> str:
    """The per-step training losses of one run (the training curves figure reads them)."""
    return run_files(training_set, seed, world=world)["steps"]


def synthetic_shard_path(base: str, shard: int | str, world: str = DEFAULT_WORLD) -> str:
    """One identity shard of a generated base set (temporary, merged into the set)."""
    return in_world(f"work/shards/synthetic/{base}/{shard}", world)


def synthetic_set_path(base: str, world: str = DEFAULT_WORLD) -> str:
    """A generated base set (every Syn_N_S is a view of one)."""
    return in_world(f"data/synthetic/{base}", world)


def real_train_shard_path(shard: int | str, world: str = DEFAULT_WORLD) -> str:
    """One identity shard of the stand-in CASIA-WebFace (temporary)."""
    return in_world(f"work/shards/real_train/{shard}", world)


def real_train_path(world: str = DEFAULT_WORLD) -> str:
    return in_world(REAL_TRAIN, world)


def lfw_layout_path(split: str, test_set: str, world: str = DEFAULT_WORLD) -> str:
    """A generated evaluation set rendered in the LFW layout (temporary, imported like LFW)."""
    return in_world(f"work/lfw_layout/{split}/{test_set}", world)


def evaluation_set_path(test_set: str, split: str = "test", world: str = DEFAULT_WORLD) -> str:
    """An evaluation set: data/test/lfw, ... and the dev split's data/dev/lfw, ..."""
    return in_world(f"data/{split}/{test_set}", world)


def pose_variant_layout_path(test_set: str, world: str = DEFAULT_WORLD) -> str:
    """A study's variant of the stand-in LFW in the LFW layout (temporary)."""
    return lfw_layout_path("studies", test_set, world)


def pose_variant_path(test_set: str, world: str = DEFAULT_WORLD) -> str:
    """A study's variant of the stand-in LFW, imported like the test set: data/studies/lfw_pose0.5."""
    return in_world(f"data/studies/{test_set}", world)


def metrics_folder(world: str = DEFAULT_WORLD) -> str:
    """Every run's LFW-protocol metrics, one file per run and test set (metrics_path)."""
    return in_world("results/metrics", world)


def metrics_path(training_set: str, seed: int | str, test_set: str, world: str = DEFAULT_WORLD) -> str:
    """Where the LFW-protocol metrics of one run on one test set live (a seed of "{seed}": the rule's pattern)."""
    return f"{metrics_folder(world)}/{training_set}/seed{seed}/{test_set}.json"


def study_metrics_path(training_set: str, seed: int | str, test_set: str, world: str = DEFAULT_WORLD) -> str:
    """A study's metrics file: the grid's on a grid test set, else under results/studies/metrics/."""
    if test_set in (*TEST_SETS, *BENCHMARKS):
        return metrics_path(training_set, seed, test_set, world)
    return in_world(f"{STUDY_RESULTS}/metrics/{training_set}/seed{seed}/{test_set}.json", world)


def dev_metrics_path(candidate: str, training_set: str, seed: int | str, test_set: str) -> str:
    """The dev-split metrics of one tuning run."""
    return f"{TUNING_METRICS}/{candidate}/{training_set}/seed{seed}/{test_set}.json"


def results_file(folder: str, name: str, suffix: str, world: str = DEFAULT_WORLD) -> str:
    """A paper target or study result: results/tables/width_depth.csv, results/figures/samples.png, ..."""
    return in_world(f"results/{folder}/{name}{suffix}", world)


def summary_path(table: str, train: str, world: str = DEFAULT_WORLD) -> str:
    """A table row's accuracies for `dvc metrics show`: results/summary/{table}/{train}.json."""
    return results_file(f"summary/{table}", train, ".json", world)


def summary_files(tables: Mapping[str, Iterable[Mapping[str, str]]], world: str = DEFAULT_WORLD) -> list[str]:
    """Every summary file of a grid ({table: rows}), in table and row order."""
    return list(
        dict.fromkeys(summary_path(table, row["train"], world) for table, rows in tables.items() for row in rows)
    )


def table_path(table: str, world: str = DEFAULT_WORLD) -> str:
    return results_file("tables", table, ".csv", world)


def figure_path(figure: str, world: str = DEFAULT_WORLD) -> str:
    return results_file("figures", figure, ".png", world)


def study_path(study: str, suffix: str, world: str = DEFAULT_WORLD) -> str:
    """A study's table (.csv), verdict (.json) or figure (.png)."""
    return in_world(f"{STUDY_RESULTS}/{study}{suffix}", world)


def headline_path(world: str = DEFAULT_WORLD) -> str:
    """The report's start page: the claims' verdicts and the headline figure."""
    return results_file("report", "headline", ".html", world)


def table_view_path(table_csv: str, world: str = DEFAULT_WORLD) -> str:
    """The report's HTML view of a results table: results/tables/x.csv -> results/report/tables/x.html."""
    folder, name = Path(table_csv).parent.name, Path(table_csv).stem
    return results_file(f"report/{folder}", name, ".html", world)
