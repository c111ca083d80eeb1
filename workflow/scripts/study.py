from synface.analysis.studies import write_study
from synface.figures.studies import study_figure
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    p, out = snakemake.params, snakemake.output
    results = write_study(p.design, p.seeds, snakemake.input.metrics, out.table, out.verdict)
    study_figure(p.design, results, out.figure, p.profile)
