import numba

from synface.realdomain.lfw import write_standin_lfw
from synface.workflow import log_to

# A study's variant of the stand-in LFW: the test set's protocol and seed, each photo's pose scaled.
with log_to(snakemake.log[0]):
    numba.set_num_threads(snakemake.threads)
    print(write_standin_lfw(snakemake.output[0], **snakemake.params.settings))
