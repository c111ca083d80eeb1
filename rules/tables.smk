# Paper tables and the claims table: they read metrics files only, never another paper target.


rule table:
    input:
        metrics=table_metrics,
        code=code("table"),
    output:
        table_path("{table}", WORLD),
    log:
        "logs/tables/{table}.log",
    benchmark:
        "benchmarks/tables/{table}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        rows=table_rows,
        seeds=EXPERIMENTS.seeds,
        profile=config["world"],
    script:
        "../workflow/scripts/table.py"


rule claims:
    input:
        metrics=EXPERIMENTS.metrics_files(),
        features=in_world(FEATURES, WORLD),
        code=code("claims"),
    output:
        table_path("claims", WORLD),
    log:
        "logs/tables/claims.log",
    benchmark:
        "benchmarks/tables/claims.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        tables=GRID,
        seeds=EXPERIMENTS.seeds,
        mix_synthetic=EXPERIMENTS.mix_synthetic,
        profile=config["world"],
    script:
        "../workflow/scripts/claims.py"


# Convergence: is each run's training loss flat at its end? (steps files only)
rule final_loss:
    input:
        training_curve_files,
        code=code("final_loss"),
    output:
        table_path("final_loss", WORLD),
    log:
        "logs/tables/final_loss.log",
    benchmark:
        "benchmarks/tables/final_loss.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        runs=TRAINING_CURVES,
    script:
        "../workflow/scripts/final_loss.py"
