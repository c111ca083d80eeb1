rule figure_identity_mixup:
    output:
        report(
            "results/figures/identity_mixup.png",
            caption="../workflow/report/identity_mixup.rst",
            category="Generator",
        ),
    log:
        "logs/figures/identity_mixup.log",
    benchmark:
        "benchmarks/figures/identity_mixup.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=config["figures"]["identity_mixup"],
    script:
        "../workflow/scripts/figure_identity_mixup.py"


rule figure_factor_variation:
    output:
        report(
            "results/figures/factor_variation.png",
            caption="../workflow/report/factor_variation.rst",
            category="Generator",
        ),
    log:
        "logs/figures/factor_variation.log",
    benchmark:
        "benchmarks/figures/factor_variation.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=config["figures"]["factor_variation"],
    script:
        "../workflow/scripts/figure_factor_variation.py"


rule figure_samples:
    output:
        report(
            "results/figures/samples.png",
            caption="../workflow/report/samples.rst",
            category="Data",
        ),
    log:
        "logs/figures/samples.log",
    benchmark:
        "benchmarks/figures/samples.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        settings=config["figures"]["samples"],
    script:
        "../workflow/scripts/figure_samples.py"
