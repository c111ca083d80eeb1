import numba

from synface.generator.sampling import GenerationSettings
from synface.generator.synthesize import generate, identity_range
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    numba.set_num_threads(snakemake.threads)
    settings = GenerationSettings(**snakemake.params.settings)
    shard = identity_range(settings.n_ids, int(snakemake.wildcards.shard), snakemake.params.shards)
    generate(settings, snakemake.output[0], identities=shard)
