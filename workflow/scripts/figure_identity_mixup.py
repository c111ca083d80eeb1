from synface.figures.generator_figures import identity_mixup_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    identity_mixup_figure(snakemake.output[0], **snakemake.params.settings)
