from synface.evaluate.feature_sets import write_feature_distribution
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    write_feature_distribution(
        snakemake.input.observers,
        p.sets,
        snakemake.input.metrics,
        snakemake.output[0],
        identities=p.identities,
        images=p.images,
        threads=snakemake.threads,
    )
