# Training (one run per training set and seed) and LFW-protocol evaluation.


rule train:
    input:
        unpack(training_inputs),
        code=code("train"),
    output:
        **run_files("{train}", "{seed}", world=WORLD),
    log:
        "logs/train/{train}/seed{seed}.log",
    benchmark:
        "benchmarks/train/{train}/seed{seed}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("train")
    resources:
        **job_resources("train"),
    params:
        settings=training_settings,
    script:
        "../workflow/scripts/train.py"


# One job per model, loading it once, over every test set (LFW, Syn-LFW and the imported
# benchmarks): Snakemake outputs cannot follow which test sets the tables read for each training set.
rule evaluate:
    input:
        model=model_path("{train}", "{seed}", WORLD),
        datasets=[evaluation_set_path(test_set, world=WORLD) for test_set in EVALUATED],
        code=code("evaluate"),
    output:
        [metrics_path("{train}", "{seed}", test_set, WORLD) for test_set in EVALUATED],
    log:
        "logs/evaluate/{train}/seed{seed}.log",
    benchmark:
        "benchmarks/evaluate/{train}/seed{seed}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("evaluate")
    resources:
        **job_resources("evaluate"),
    params:
        test_sets=EVALUATED,
    script:
        "../workflow/scripts/evaluate.py"


rule models:
    input:
        EXPERIMENTS.model_files(),


rule metrics:
    input:
        EXPERIMENTS.metrics_files(),
        EXPERIMENTS.study_grid_metrics(),  # the studies' runs on the test sets


rule metrics_summary:
    input:
        metrics=EXPERIMENTS.metrics_files(),
        code=code("metrics_summary"),
    output:
        summary_files(GRID, WORLD),
    log:
        "logs/metrics_summary.log",
    benchmark:
        "benchmarks/metrics_summary.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        tables=GRID,
        seeds=EXPERIMENTS.seeds,
    script:
        "../workflow/scripts/metrics_summary.py"


rule feature_distribution:
    input:
        observers=[
            model_path(config["feature_distribution"]["observer"], seed, WORLD)
            for seed in EXPERIMENTS.seeds
        ],
        datasets=[s["dataset"] for s in EXPERIMENTS.feature_sets()],
        metrics=EXPERIMENTS.metrics_files(),
        code=code("feature_distribution"),
    output:
        in_world(FEATURES, WORLD),
    log:
        "logs/feature_distribution.log",
    benchmark:
        "benchmarks/feature_distribution.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("feature_distribution")
    resources:
        **job_resources("feature_distribution"),
    params:
        sets=EXPERIMENTS.feature_sets(),
        identities=config["feature_distribution"]["identities"],
        images=config["feature_distribution"]["images"],
    script:
        "../workflow/scripts/feature_distribution.py"
