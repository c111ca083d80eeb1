# The tuning study (embedded world): candidate training settings scored on the dev split, and the
# chosen settings at twice their length (the convergence check). Never reads a test set.


rule tuning_train:
    input:
        unpack(training_inputs),
        code=code("train"),
    output:
        **run_files("{train}", "{seed}", "{candidate}"),
    log:
        "logs/tuning/train/{candidate}/{train}/seed{seed}.log",
    benchmark:
        "benchmarks/tuning/train/{candidate}/{train}/seed{seed}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("train")
    resources:
        **job_resources("train"),
    params:
        settings=tuning_settings,
    script:
        "../workflow/scripts/train.py"


rule tuning_evaluate:
    input:
        model=tuning_model,
        datasets=[evaluation_set_path(test_set, "dev") for test_set in TEST_SETS],
        code=code("evaluate"),
    output:
        [
            dev_metrics_path("{tuned}", "{train}", "{seed}", test_set)
            for test_set in TEST_SETS
        ],
    log:
        "logs/tuning/evaluate/{tuned}/{train}/seed{seed}.log",
    benchmark:
        "benchmarks/tuning/evaluate/{tuned}/{train}/seed{seed}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("evaluate")
    resources:
        **job_resources("evaluate"),
    params:
        test_sets=TEST_SETS,
    script:
        "../workflow/scripts/evaluate.py"


rule tuning_table:
    input:
        metrics=EXPERIMENTS.tuning_metrics_files(),
        steps=EXPERIMENTS.tuning_steps(),
        code=code("tuning"),
    output:
        table=TUNING_RESULTS["table"],
        convergence=TUNING_RESULTS["convergence"],
        figure=report(
            TUNING_RESULTS["figure"],
            caption="../workflow/report/tuning_figure.rst",
            category="Tuning",
            subcategory=in_words("embedded"),
        ),
    log:
        "logs/tuning/table.log",
    benchmark:
        "benchmarks/tuning/table.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        runs=EXPERIMENTS.tuning_runs(),
        candidates={
            c: EXPERIMENTS.tuning_training(c) for c in EXPERIMENTS.tuning_candidates
        },
        ends=EXPERIMENTS.convergence_ends(),
    script:
        "../workflow/scripts/tuning.py"


rule tuning:
    input:
        rules.tuning_table.output,
