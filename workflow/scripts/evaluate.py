import json

from synface.evaluate.verify import evaluate_model_on
from synface.io.atomic import write_text
from synface.workflow import log_to

with log_to(snakemake.log[0]):
    w = snakemake.wildcards
    results = evaluate_model_on(snakemake.input.model, snakemake.input.datasets, threads=snakemake.threads)
    accuracies = []
    for test, metrics, out in zip(snakemake.params.test_sets, results, snakemake.output, strict=True):
        record = {"train": w.train, "seed": int(w.seed), "test": test, **metrics}
        write_text(out, json.dumps(record, indent=1, sort_keys=True) + "\n")
        accuracies.append(f"{test} {100 * metrics['accuracy_mean']:.2f} ± {100 * metrics['accuracy_std']:.2f} %")
    print(f"accuracy of {snakemake.input.model} (mean ± std over folds): {', '.join(accuracies)}")
