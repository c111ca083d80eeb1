# The embedded world's real data: the simulated stand-in for CASIA-WebFace.


rule real_train_shard:
    input:
        code=code("real_train_shard"),
    output:
        temp(directory(real_train_shard_path("{shard}", WORLD))),
    log:
        "logs/data/real_train/{shard}.log",
    benchmark:
        "benchmarks/data/real_train/{shard}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("render")
    resources:
        **job_resources("render"),
    params:
        n_ids=EXPERIMENTS.real_train_identities,
        seed=config["real_domain"]["seed"],
        shards=config["real_domain"]["shards"],
    script:
        "../workflow/scripts/real_train_shard.py"


rule real_train:
    input:
        shards=real_train_shards,
        code=code("merge_shards"),
    output:
        directory(real_train_path(WORLD)),
    log:
        "logs/data/real_train.log",
    benchmark:
        "benchmarks/data/real_train.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("merge")
    resources:
        **job_resources("merge"),
    script:
        "../workflow/scripts/merge_shards.py"
