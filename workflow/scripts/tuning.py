from synface.analysis.tuning import write_tuning
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p, out = snakemake.params, snakemake.output
    write_tuning([tuple(run) for run in p.runs], p.candidates, p.ends, out.table, out.convergence, out.figure)
