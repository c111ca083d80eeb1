from synface.analysis.claims import write_claims
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    write_claims(p.config, snakemake.input.metrics, snakemake.output[0], p.profile, snakemake.input.features)
