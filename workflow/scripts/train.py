from pathlib import Path

from synface.train.config import TrainConfig
from synface.train.launch import train_job
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    config = TrainConfig(
        out=Path(snakemake.output.model).parent,
        syn=snakemake.input.get("syn"),
        real=snakemake.input.get("real"),
        threads=snakemake.threads,
        **snakemake.params.settings,
    )
    # one process per GPU of the job (resources: gpu); discard_stale: Snakemake reran the job, its settings,
    # inputs or GPU count changed
    train_job(config, int(snakemake.resources.get("gpu", 1)), discard_stale=True)
