# Datasets: synthetic base sets (rendered in identity shards), the stand-in real domain.


rule synthetic_shard:
    output:
        temp(directory("work/shards/synthetic/{base}/{shard}")),
    log:
        "logs/data/synthetic/{base}/{shard}.log",
    benchmark:
        "benchmarks/data/synthetic/{base}/{shard}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        settings=synthetic_settings,
        shards=config["generator"]["shards"],
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
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow/scripts/merge_shards.py"


rule real_train_shard:
    output:
        temp(directory("work/shards/real_train/{shard}")),
    log:
        "logs/data/real_train/{shard}.log",
    benchmark:
        "benchmarks/data/real_train/{shard}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        n_ids=EXPERIMENTS.real_train_identities,
        seed=config["real_domain"]["seed"],
        shards=config["real_domain"]["shards"],
    script:
        "../workflow/scripts/real_train_shard.py"


rule real_train:
    input:
        real_train_shards,
    output:
        directory("data/real/real_train"),
    log:
        "logs/data/real_train.log",
    benchmark:
        "benchmarks/data/real_train.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    script:
        "../workflow/scripts/merge_shards.py"


rule test_set_folder:
    output:
        temp(directory("work/lfw_layout/{test_set}")),
    log:
        "logs/data/{test_set}_layout.log",
    benchmark:
        "benchmarks/data/{test_set}_layout.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        protocol=config["test_sets"],
    script:
        "../workflow/scripts/test_set_folder.py"


rule test_set:
    input:
        "work/lfw_layout/{test_set}",
    output:
        directory("data/test/{test_set}"),
    log:
        "logs/data/{test_set}.log",
    benchmark:
        "benchmarks/data/{test_set}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    script:
        "../workflow/scripts/import_lfw.py"
