# Helpers only: the software environment, the experiment grid and input functions.
from synface.experiments import TEST_SETS, Experiments


conda: "../workflow/envs/synface.yaml"


EXPERIMENTS = Experiments(config)


wildcard_constraints:
    base="|".join(EXPERIMENTS.base_sets) or "none",
    test_set="|".join(TEST_SETS),
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
