# The paper world's real data: CASIA-WebFace and LFW imported from the paths in config.imports.


rule import_casia_webface:
    input:
        config["imports"]["casia_webface"],
        code=code("import_imagefolder"),
    output:
        directory(real_train_path(WORLD)),
    log:
        "logs/data/real_train.log",
    benchmark:
        "benchmarks/data/real_train.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("import_casia_webface")
    resources:
        **job_resources("import_casia_webface"),
    params:
        align=config["imports"]["align"],
    script:
        "../workflow/scripts/import_imagefolder.py"


rule import_lfw:
    input:
        images=config["imports"]["lfw_images"],
        pairs=config["imports"]["lfw_pairs"],
        code=code("import_real_lfw"),
    output:
        directory(evaluation_set_path("lfw", world=WORLD)),
    log:
        "logs/data/lfw.log",
    benchmark:
        "benchmarks/data/lfw.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("import_lfw")
    resources:
        **job_resources("import_lfw"),
    params:
        align=config["imports"]["align"],
    script:
        "../workflow/scripts/import_real_lfw.py"


# The insightface verification packs of imports.benchmarks (CFP-FP, AgeDB-30, CALFW, CPLFW).
rule import_benchmark:
    input:
        pack=lambda wildcards: config["imports"]["benchmarks"][wildcards.benchmark],
        code=code("import_bin"),
    output:
        directory(evaluation_set_path("{benchmark}", world=WORLD)),
    log:
        "logs/data/{benchmark}.log",
    benchmark:
        "benchmarks/data/{benchmark}.tsv"
    wildcard_constraints:
        benchmark="|".join(EXPERIMENTS.benchmarks) or "none",
    conda:
        "../workflow/envs/synface.yaml"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    script:
        "../workflow/scripts/import_bin.py"
