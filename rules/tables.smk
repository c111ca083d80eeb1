# Paper tables and the claims table: they read metrics files only, never another paper target.


rule table:
    input:
        table_metrics,
    output:
        report(
            "results/tables/{table}.csv",
            caption="../workflow/report/table.rst",
            category="Tables",
            subcategory="{table}",
        ),
    log:
        "logs/tables/{table}.log",
    benchmark:
        "benchmarks/tables/{table}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        config=config,
        profile=config["world"],
    script:
        "../workflow/scripts/table.py"


rule claims:
    input:
        metrics=EXPERIMENTS.metrics_files(),
        features="results/features/feature_distribution.json",
    output:
        report(
            "results/tables/claims.csv",
            caption="../workflow/report/claims.rst",
            category="Tables",
            subcategory="claims",
        ),
    log:
        "logs/tables/claims.log",
    benchmark:
        "benchmarks/tables/claims.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        config=config,
        profile=config["world"],
    script:
        "../workflow/scripts/claims.py"
