# Helpers only: the software environment, the experiment grid and input functions.
from synface.experiments import Experiments


conda: "../workflow/envs/synface.yaml"


EXPERIMENTS = Experiments(config)


wildcard_constraints:
    base="|".join(EXPERIMENTS.base_sets) or "none",
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
