import numba

from synface.realdomain.casia import generate_real_train, shard_identities
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    numba.set_num_threads(snakemake.threads)
    n_ids = snakemake.params.n_ids
    shard = shard_identities(n_ids, int(snakemake.wildcards.shard), snakemake.params.shards)
    generate_real_train(snakemake.output[0], n_ids, seed=snakemake.params.seed, identities=shard)
