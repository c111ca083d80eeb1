from synface.analysis.convergence import final_loss_frame
from synface.analysis.tables import write_csv
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    write_csv(final_loss_frame(snakemake.params.runs), snakemake.output[0])
