from synface.figures import results
from synface.workflow import log_to

FIGURES = {
    "width_depth": results.width_depth_figure,
    "domain_mixup": results.domain_mixup_figure,
    "attributes": results.attributes_figure,
}

with log_to(snakemake.log[0]):
    p = snakemake.params
    FIGURES[snakemake.wildcards.table](p.rows, p.seeds, snakemake.input.metrics, snakemake.output[0], p.profile)
