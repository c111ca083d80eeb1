from synface.figures.samples import samples_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    settings = snakemake.params.settings
    samples_figure(snakemake.output[0], n=settings["images"], seed=settings["seed"])
