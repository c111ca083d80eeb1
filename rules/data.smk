# Datasets: synthetic base sets (rendered in identity shards) and the generated evaluation sets
# (data/test/: the test sets; data/dev/: the dev split, same protocol, other people).
# The real data comes from rules/real_{world}.smk.


rule synthetic_shard:
    input:
        code=code("synthetic_shard"),
    output:
        temp(directory(synthetic_shard_path("{base}", "{shard}", WORLD))),
    log:
        "logs/data/synthetic/{base}/{shard}.log",
    benchmark:
        "benchmarks/data/synthetic/{base}/{shard}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("render")
    resources:
        **job_resources("render"),
    params:
        settings=synthetic_settings,
        shards=config["generator"]["shards"],
    script:
        "../workflow/scripts/synthetic_shard.py"


rule synthetic_set:
    input:
        shards=synthetic_shards,
        code=code("merge_shards"),
    output:
        directory(synthetic_set_path("{base}", WORLD)),
    log:
        "logs/data/synthetic/{base}.log",
    benchmark:
        "benchmarks/data/synthetic/{base}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("merge")
    resources:
        **job_resources("merge"),
    script:
        "../workflow/scripts/merge_shards.py"


rule test_set_folder:
    input:
        code=code("test_set_folder"),
    output:
        temp(directory(lfw_layout_path("{split}", "{generated_test_set}", WORLD))),
    log:
        "logs/data/{split}/{generated_test_set}_layout.log",
    benchmark:
        "benchmarks/data/{split}/{generated_test_set}_layout.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("test_set_layout")
    resources:
        **job_resources("test_set_layout"),
    params:
        protocol=evaluation_protocol,
    script:
        "../workflow/scripts/test_set_folder.py"


rule test_set:
    input:
        lfw_layout_path("{split}", "{generated_test_set}", WORLD),
        code=code("import_lfw"),
    output:
        directory(evaluation_set_path("{generated_test_set}", "{split}", WORLD)),
    log:
        "logs/data/{split}/{generated_test_set}.log",
    benchmark:
        "benchmarks/data/{split}/{generated_test_set}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("test_set_import")
    resources:
        **job_resources("test_set_import"),
    script:
        "../workflow/scripts/import_lfw.py"
