from synface.figures.generator_figures import factor_variation_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    factor_variation_figure(snakemake.output[0], **snakemake.params.settings)
