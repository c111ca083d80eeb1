import numba

from synface.realdomain.lfw import write_standin_lfw, write_syn_lfw
from synface.workflow import log_to

WRITERS = {"lfw": write_standin_lfw, "syn_lfw": write_syn_lfw}

with log_to(snakemake.log[0]):
    numba.set_num_threads(snakemake.threads)
    p = snakemake.params.protocol
    WRITERS[snakemake.wildcards.generated_test_set](
        snakemake.output[0], p["people"], folds=p["folds"], pairs_per_fold=p["pairs_per_fold"], seed=p["seed"]
    )
