# Datasets: synthetic base sets (rendered in identity shards), the stand-in real domain.


rule synthetic_shard:
    output:
        temp(directory("work/shards/synthetic/{base}/{shard}")),
    params:
        settings=synthetic_settings,
        shards=config["generator"]["shards"],
    log:
        "logs/data/synthetic/{base}/{shard}.log",
    benchmark:
        "benchmarks/data/synthetic/{base}/{shard}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    conda:
        "../workflow/envs/synface.yaml"
    script:
        "../workflow/scripts/synthetic_shard.py"


rule synthetic_set:
    input:
        synthetic_shards,
    output:
        directory("data/synthetic/{base}"),
    log:
        "logs/data/synthetic/{base}.log",
    benchmark:
        "benchmarks/data/synthetic/{base}.tsv"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    conda:
        "../workflow/envs/synface.yaml"
    script:
        "../workflow/scripts/merge_shards.py"
