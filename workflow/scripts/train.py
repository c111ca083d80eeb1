from pathlib import Path

from synface.train.config import TrainConfig
from synface.train.loop import train
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    config = TrainConfig(
        out=Path(snakemake.output.model).parent,
        syn=snakemake.input.get("syn"),
        real=snakemake.input.get("real"),
        threads=snakemake.threads,
        **snakemake.params.settings,
    )
    train(config, discard_stale=True)  # Snakemake reran the job: its settings or inputs changed
