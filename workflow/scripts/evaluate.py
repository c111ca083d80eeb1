import json

from synface.evaluate.verify import evaluate_model
from synface.io.atomic import write_text
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    w = snakemake.wildcards
    metrics = evaluate_model(snakemake.input.model, snakemake.input.dataset, threads=snakemake.threads)
    record = {"train": w.train, "seed": int(w.seed), "test": w.test_set, **metrics}
    write_text(snakemake.output[0], json.dumps(record, indent=1, sort_keys=True) + "\n")
