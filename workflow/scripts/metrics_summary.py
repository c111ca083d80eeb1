from synface.analysis.summary import write_metrics_summary
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    write_metrics_summary(p.tables, p.seeds, snakemake.input.metrics, snakemake.output)
