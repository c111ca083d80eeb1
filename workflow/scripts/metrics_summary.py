from synface.analysis.summary import write_metrics_summary
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    write_metrics_summary(snakemake.params.config, snakemake.input.metrics, snakemake.output[0])
