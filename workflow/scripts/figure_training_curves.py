from synface.figures.training_curves import training_curves_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p = snakemake.params
    training_curves_figure(p.runs, snakemake.output[0], p.profile)
