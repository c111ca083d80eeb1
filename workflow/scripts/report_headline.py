from synface.figures.table_view import write_headline
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    write_headline(snakemake.input.claims, snakemake.input.figure, snakemake.output[0])
