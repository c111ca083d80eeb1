# Helpers only: the software environment, the experiment grid and input functions.
from synface.experiments import TEST_SETS, Experiments, model_path


conda: "../workflow/envs/synface.yaml"


EXPERIMENTS = Experiments(config)


wildcard_constraints:
    base="|".join(EXPERIMENTS.base_sets) or "none",
    test_set="|".join(TEST_SETS),
    generated_test_set="|".join(EXPERIMENTS.generated_test_sets),
    train="|".join(EXPERIMENTS.training_sets),
    seed=r"\d+",
    table="|".join(EXPERIMENTS.tables),
    shard=r"\d+",


def synthetic_settings(wildcards):
    """GenerationSettings keyword arguments of a synthetic base set."""
    return EXPERIMENTS.generation_settings(wildcards.base)


def synthetic_shards(wildcards):
    return expand(
        "work/shards/synthetic/{base}/{shard}",
        base=wildcards.base,
        shard=range(config["generator"]["shards"]),
    )


def real_train_shards(wildcards):
    return expand(
        "work/shards/real_train/{shard}", shard=range(config["real_domain"]["shards"])
    )


def training_inputs(wildcards):
    """The dataset folders a run trains on (syn and/or real)."""
    return EXPERIMENTS.training_inputs(wildcards.train)


def training_settings(wildcards):
    return EXPERIMENTS.training_settings(wildcards.train, int(wildcards.seed))


def table_metrics(wildcards):
    return EXPERIMENTS.table_metrics(wildcards.table)
