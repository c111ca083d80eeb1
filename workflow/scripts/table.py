from synface.analysis.tables import write_table
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    write_table(snakemake.wildcards.table, p.rows, p.seeds, snakemake.input.metrics, snakemake.output[0], p.profile)
