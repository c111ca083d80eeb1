from synface.generator.synthesize import merge_shards
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    merge_shards(snakemake.input.shards, snakemake.output[0])
