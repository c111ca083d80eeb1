from synface.analysis.claims import write_claims
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    i = snakemake.input
    write_claims(p.tables, p.seeds, p.mix_synthetic, i.metrics, snakemake.output[0], p.profile, i.features)
