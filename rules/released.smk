# External checkpoints (config.released_checkpoints, e.g. the official SynFace releases) on every
# test set; `rule paper` requires the table only when the list is not empty.


rule released_checkpoints:
    input:
        checkpoints=[c["path"] for c in RELEASED],
        datasets=[
            evaluation_set_path(t, world=WORLD)
            for t in EXPERIMENTS.evaluated_test_sets
        ],
        code=code("released_checkpoints"),
    output:
        in_world(RELEASED_TABLE, WORLD),
    log:
        "logs/tables/released_checkpoints.log",
    benchmark:
        "benchmarks/tables/released_checkpoints.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("evaluate")
    resources:
        **job_resources("evaluate"),
    params:
        checkpoints=RELEASED,
        test_sets=EXPERIMENTS.evaluated_test_sets,
        profile=config["world"],
    script:
        "../workflow/scripts/released_checkpoints.py"
