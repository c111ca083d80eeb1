"""Write the params of every job of the paper targets and the tuning study as Snakemake records them in its metadata
(and compares on the next run: the params rerun trigger), as JSON {"rule {wildcards}": params}.

Usage: job_params.py OUT.json [CONFIGFILE ...]. A script, run in its own process: Snakemake's API
holds global state (logging, working directory). Snakemake has no public call for a job's
params, so this builds the DAG through the private one of the pinned version (requirements.lock).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, DAGSettings, ResourceSettings

ROOT = Path(__file__).resolve().parents[1]


def job_params(configfiles: list[Path]) -> dict[str, list[str]]:
    with SnakemakeApi() as api:
        workflow_api = api.workflow(
            ResourceSettings(cores=1),
            ConfigSettings(configfiles=configfiles),
            snakefile=ROOT / "Snakefile",
            workdir=ROOT,
        )
        workflow_api.dag(DAGSettings(targets={"paper", "tuning"}, forceall=True))  # every job, whatever is on disk
        workflow = workflow_api._workflow
        workflow._prepare_dag(forceall=True, ignore_incomplete=True, lock_warn_only=True, nolock=True)
        workflow._build_dag()
        jobs = workflow.dag.jobs
        return {f"{job.rule.name} {dict(job.wildcards)}": workflow.persistence._params(job) for job in jobs}


if __name__ == "__main__":
    out, *configfiles = sys.argv[1:]
    Path(out).write_text(json.dumps(job_params([Path(c).resolve() for c in configfiles])))
