from synface.evaluate.released import write_released_table
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    datasets = dict(zip(p.test_sets, snakemake.input.datasets, strict=True))
    write_released_table(p.checkpoints, datasets, snakemake.output[0], p.profile, threads=snakemake.threads)
