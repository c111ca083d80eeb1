# The report's contents: every paper target, the tuning study, and an HTML view of each results
# table (the report shows HTML inline but offers a CSV only as a download).


rule table_view:
    input:
        csv=results_file("{folder}", "{name}", ".csv", WORLD),
        code=code("table_view"),
    output:
        report(
            table_view_path(results_file("{folder}", "{name}", ".csv"), WORLD),
            caption="../workflow/report/table_view.rst",
            category=report_category,
            subcategory=report_subcategory,
        ),
    log:
        "logs/report/{folder}/{name}.log",
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    script:
        "../workflow/scripts/table_view.py"


# The report's start page: the claims' verdicts and the headline figure (workflow/report/workflow.rst).
rule report_headline:
    input:
        claims=table_path("claims", WORLD),
        figure=figure_path(HEADLINE_FIGURE, WORLD),
        code=code("report_headline"),
    output:
        headline_path(WORLD),
    log:
        "logs/report/headline.log",
    conda:
        "../workflow/envs/synface.yaml"
    threads: job_threads("summary")
    resources:
        **job_resources("summary"),
    script:
        "../workflow/scripts/report_headline.py"


# `snakemake --report results/report.html report_contents` (the DVC stage `report`)
REPORTED = [*rules.paper.input, *(rules.tuning.input if EXPERIMENTS.tuning else [])]


rule report_contents:
    input:
        REPORTED,
        [table_view_path(t, WORLD) for t in REPORTED if t.endswith(".csv")],
        headline_path(WORLD),
