# synface: the SynFace paper (ICCV 2021) as one DAG. Default target: every paper target.
from snakemake.utils import min_version, validate

from synface.config import overlay_grid

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


# --configfile overlays deep-merge, except the experiment grid: an overlay's replaces it.
overlay_grid(config, workflow.overwrite_configfiles)
validate(config, "workflow/schemas/config.schema.yaml")


include: "rules/common.smk"
include: "rules/data.smk"
include: f"rules/real_{config['world']}.smk"
include: "rules/train.smk"
include: "rules/tables.smk"
include: "rules/figures.smk"
include: "rules/released.smk"
include: "rules/studies.smk"


if config["world"] == "embedded":

    include: "rules/tuning.smk"


# Every paper target, each table row's accuracies that `dvc metrics show` reads, the released
# checkpoints' table where the config lists any, and the diagnostic studies (rules/studies.smk).
rule paper:
    default_target: True
    input:
        EXPERIMENTS.manifest,
        rules.metrics_summary.output,
        [in_world(RELEASED_TABLE, WORLD)] if RELEASED else [],
        rules.studies.input,


include: "rules/report.smk"
