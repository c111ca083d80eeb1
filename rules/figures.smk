rule figure_identity_mixup:
    input:
        code=code("figure_identity_mixup"),
    output:
        report(
            figure_path("identity_mixup", WORLD),
            caption="../workflow/report/identity_mixup.rst",
            category="Data and generator",
            subcategory="Fig. 3: identity mixup",
        ),
    log:
        "logs/figures/identity_mixup.log",
    benchmark:
        "benchmarks/figures/identity_mixup.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("generator_figure")
    resources:
        **job_resources("generator_figure"),
    params:
        settings=config["figures"]["identity_mixup"],
    script:
        "../workflow/scripts/figure_identity_mixup.py"


rule figure_factor_variation:
    input:
        code=code("figure_factor_variation"),
    output:
        report(
            figure_path("factor_variation", WORLD),
            caption="../workflow/report/factor_variation.rst",
            category="Data and generator",
            subcategory="one identity under each factor mode",
        ),
    log:
        "logs/figures/factor_variation.log",
    benchmark:
        "benchmarks/figures/factor_variation.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("generator_figure")
    resources:
        **job_resources("generator_figure"),
    params:
        settings=config["figures"]["factor_variation"],
    script:
        "../workflow/scripts/figure_factor_variation.py"


rule figure_samples:
    input:
        code=code("figure_samples"),
    output:
        report(
            figure_path("samples", WORLD),
            caption="../workflow/report/samples.rst",
            category="Data and generator",
            subcategory="Fig. 1: real and synthetic faces",
        ),
    log:
        "logs/figures/samples.log",
    benchmark:
        "benchmarks/figures/samples.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("generator_figure")
    resources:
        **job_resources("generator_figure"),
    params:
        settings=config["figures"]["samples"],
    script:
        "../workflow/scripts/figure_samples.py"


rule figure_results:
    input:
        metrics=table_metrics,
        code=code("figure_results"),
    output:
        report(
            figure_path("{table,width_depth|domain_mixup|attributes}", WORLD),
            caption="../workflow/report/results_figure.rst",
            category=figure_category,
            subcategory=report_subcategory,
        ),
    log:
        "logs/figures/{table}.log",
    benchmark:
        "benchmarks/figures/{table}.tsv"
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
        "../workflow/scripts/figure_results.py"


rule figure_feature_distribution:
    input:
        in_world(FEATURES, WORLD),
        code=code("figure_feature_distribution"),
    output:
        report(
            figure_path("feature_distribution", WORLD),
            caption="../workflow/report/feature_distribution.rst",
            category="Figures",
            subcategory=in_words("feature_distribution"),
        ),
    log:
        "logs/figures/feature_distribution.log",
    benchmark:
        "benchmarks/figures/feature_distribution.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        profile=config["world"],
    script:
        "../workflow/scripts/figure_feature_distribution.py"


rule figure_training_curves:
    input:
        training_curve_files,
        code=code("figure_training_curves"),
    output:
        report(
            figure_path("training_curves", WORLD),
            caption="../workflow/report/training_curves.rst",
            category="Figures",
            subcategory=in_words("training_curves"),
        ),
    log:
        "logs/figures/training_curves.log",
    benchmark:
        "benchmarks/figures/training_curves.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        runs=TRAINING_CURVES,
        profile=config["world"],
    script:
        "../workflow/scripts/figure_training_curves.py"
