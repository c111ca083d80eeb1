from synface.figures.feature_distribution import feature_distribution_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    feature_distribution_figure(snakemake.input[0], snakemake.output[0], snakemake.params.profile)
