from synface.analysis.tuning import write_tuning
from synface.figures.tuning import tuning_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p, files, out = snakemake.params, snakemake.input, snakemake.output
    runs = [tuple(run) for run in p.runs]
    tuning = write_tuning(runs, p.candidates, p.ends, files.metrics, files.steps, out.table, out.convergence)
    tuning_figure(tuning, out.figure)
