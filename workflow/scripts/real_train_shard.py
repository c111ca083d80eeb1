import numba

from synface.generator.synthesize import identity_range
from synface.realdomain.casia import generate_real_train
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    numba.set_num_threads(snakemake.threads)
    n_ids = snakemake.params.n_ids
    shard = identity_range(n_ids, int(snakemake.wildcards.shard), snakemake.params.shards)
    generate_real_train(snakemake.output[0], n_ids, seed=snakemake.params.seed, identities=shard)
