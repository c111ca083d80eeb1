# The paper world's real data: CASIA-WebFace and LFW imported from the paths in config.imports.
# A source is an input only where it exists (`filter(os.path.exists, ...)`): on a clone without
# the data a dry run still plans the imports, and a real run stops at the import job, whose log
# names the missing path. The jobs read the paths from params.
import os

IMPORTS = config["imports"]


rule import_casia_webface:
    input:
        list(filter(os.path.exists, [IMPORTS["casia_webface"]])),
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
        folder=IMPORTS["casia_webface"],
        align=IMPORTS["align"],
    script:
        "../workflow/scripts/import_imagefolder.py"


rule import_lfw:
    input:
        list(filter(os.path.exists, [IMPORTS["lfw_images"], IMPORTS["lfw_pairs"]])),
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
        images=IMPORTS["lfw_images"],
        pairs=IMPORTS["lfw_pairs"],
        align=IMPORTS["align"],
    script:
        "../workflow/scripts/import_real_lfw.py"


# The insightface verification packs of imports.benchmarks (CFP-FP, AgeDB-30, CALFW, CPLFW).
rule import_benchmark:
    input:
        lambda wildcards: list(
            filter(os.path.exists, [IMPORTS["benchmarks"][wildcards.benchmark]])
        ),
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
    params:
        pack=lambda wildcards: IMPORTS["benchmarks"][wildcards.benchmark],
    script:
        "../workflow/scripts/import_bin.py"
