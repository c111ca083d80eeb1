from synface.analysis.tuning import write_tuning
from synface.figures.tuning import tuning_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p, out = snakemake.params, snakemake.output
    tuning = write_tuning([tuple(run) for run in p.runs], p.candidates, p.ends, out.table, out.convergence)
    tuning_figure(tuning, out.figure)
