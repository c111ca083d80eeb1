from synface.figures.table_view import write_table_view
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    write_table_view(snakemake.input.csv, snakemake.output[0])
