# The diagnostic studies of the contradicted claims (config `studies`, docs/training.md): their
# training sets run with the grid's (rules/train.smk); the stand-in LFW variants with a scaled pose
# spread are rendered, imported and evaluated here; each study's table, verdict and figure last.
if POSE_VARIANTS:

    rule study_test_set_folder:
        input:
            code=code("study_test_set_folder"),
        output:
            temp(directory(pose_variant_layout_path("{pose_variant}", WORLD))),
        log:
            "logs/studies/data/{pose_variant}_layout.log",
        benchmark:
            "benchmarks/studies/data/{pose_variant}_layout.tsv"
        conda:
            "../workflow/envs/synface.yaml"
        threads: job_threads("test_set_layout")
        resources:
            **job_resources("test_set_layout"),
        params:
            settings=pose_variant_settings,
        script:
            "../workflow/scripts/study_test_set_folder.py"

    rule study_test_set:
        input:
            pose_variant_layout_path("{pose_variant}", WORLD),
            code=code("import_lfw"),
        output:
            directory(pose_variant_path("{pose_variant}", WORLD)),
        log:
            "logs/studies/data/{pose_variant}.log",
        benchmark:
            "benchmarks/studies/data/{pose_variant}.tsv"
        conda:
            "../workflow/envs/synface.yaml"
        threads: job_threads("test_set_import")
        resources:
            **job_resources("test_set_import"),
        script:
            "../workflow/scripts/import_lfw.py"

    # One job per model over every variant, as `evaluate` over the test sets.
    rule study_evaluate:
        input:
            model=model_path("{train}", "{seed}", WORLD),
            datasets=[pose_variant_path(test_set, WORLD) for test_set in POSE_VARIANTS],
            code=code("evaluate"),
        output:
            [
                study_metrics_path("{train}", "{seed}", test_set, WORLD)
                for test_set in POSE_VARIANTS
            ],
        log:
            "logs/studies/evaluate/{train}/seed{seed}.log",
        benchmark:
            "benchmarks/studies/evaluate/{train}/seed{seed}.tsv"
        conda:
            "../workflow/envs/synface.yaml"
        threads: job_threads("evaluate")
        resources:
            **job_resources("evaluate"),
        params:
            test_sets=list(POSE_VARIANTS),
        script:
            "../workflow/scripts/evaluate.py"


rule study:
    input:
        metrics=study_metrics,
        code=code("study"),
    output:
        table=study_path("{study}", ".csv", WORLD),
        verdict=study_path("{study}", ".json", WORLD),
        figure=report(
            study_path("{study}", ".png", WORLD),
            caption="../workflow/report/study_figure.rst",
            category="Studies",
            subcategory=report_subcategory,
        ),
    log:
        "logs/studies/{study}.log",
    benchmark:
        "benchmarks/studies/{study}.tsv"
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    params:
        design=study_design,
        seeds=EXPERIMENTS.seeds,
        profile=config["world"],
    script:
        "../workflow/scripts/study.py"


rule studies:
    input:
        EXPERIMENTS.study_targets(),
