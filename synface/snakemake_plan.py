"""The jobs Snakemake would run for some targets, read from the parsed workflow: what `synface
dvc-yaml` builds DVC's stages from (synface.dvcgen), so that DVC and Snakemake share one
description of the DAG, the rules'.

Snakemake parses the Snakefile with the given config, as `snakemake --configfile` does. From a
target (a file, or a rule without wildcards), Snakemake's own matching of output patterns gives
the rule that makes it and the job's wildcards, and the rule's expansion the job's inputs; the walk
follows them until a file lies in a boundary (another stage's output, imported data) or no rule
makes it. Unlike Snakemake's DAG, it needs no input to exist: a paper-world plan without the data.
It runs in a child process, since Snakemake's API holds global state (logging, working directory).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synface.errors import SynfaceError

ROOT = Path(__file__).resolve().parents[1]
CODE = "code"  # the named input that lists a rule's code (rules/common.smk: `code(script)`)


def plan(
    config: Mapping[str, Any], stages: Mapping[str, tuple[list[str], list[str]]], boundaries: list[str]
) -> dict[str, dict[str, list[str]]]:
    """For each stage (name -> its Snakemake targets and its outputs), what its jobs run and read:
    {"rules": rule names, the first the target's; "code": rule files and code inputs; "reads":
    upstream paths}, walked from its targets up to `boundaries` (paths: files, or folders holding
    them) other than its own outputs."""
    return json.loads(_plan(json.dumps({"config": config, "stages": stages, "boundaries": boundaries})))


@functools.cache  # a Snakemake parse takes seconds: once per request in a process
def _plan(request_json: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        request = Path(tmp) / "request.json"
        request.write_text(request_json)
        done = subprocess.run(
            [sys.executable, "-m", "synface.snakemake_plan", str(request)],
            cwd=ROOT,
            # importing Snakemake's SLURM plugin asks a controller for a help text (≈ 9 s where
            # slurm-wlm is installed and none answers); a plan submits nothing, so it asks none
            env={**os.environ, "SLURM_CONF": os.devnull},
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SynfaceError(f"Snakefile: Snakemake cannot plan the DVC stages: {last}")
    return done.stdout.splitlines()[-1]


def boundary_index(boundaries: list[str]) -> dict[tuple[str, ...], tuple[int, str]]:
    """Each boundary's path parts -> (its place in the list, the path), the first place where one repeats:
    split once, not once per path the walk meets (a paper-world plan meets about 14,000)."""
    return {Path(b).parts: (k, b) for k, b in reversed(list(enumerate(boundaries)))}


def inside(path: str, boundaries: Mapping[tuple[str, ...], tuple[int, str]]) -> str | None:
    """The boundary that holds `path` (the path itself, or a folder above it); of several, the first
    listed. `boundaries`: `boundary_index`'s."""
    parts = Path(path).parts
    held = [boundaries[parts[:k]] for k in range(1, len(parts) + 1) if parts[:k] in boundaries]
    return min(held)[1] if held else None


def _walk(workflow: Any, targets: list[str], boundaries: list[str]) -> dict[str, list[str]]:
    """A stage's rule files and code, and what it reads: the boundaries its jobs' inputs lie in and
    the inputs no rule makes (released checkpoints, raw imports), in the order the walk meets them."""
    from snakemake.iocontainers import Wildcards

    rules = list(workflow.rules)
    bounds = boundary_index(boundaries)
    names: list[str] = []
    code: list[str] = []
    reads: list[str] = []
    todo, seen = list(targets), set(targets)
    while todo:
        target = todo.pop(0)
        if workflow.is_rule(target):
            rule, wildcards = workflow.get_rule(target), {}
        else:
            producers = [r for r in rules if r.is_producer(target)]
            if len(producers) > 1:
                raise SynfaceError(f"{target}: made by rules {', '.join(r.name for r in producers)}")
            rule, wildcards = producers[0], producers[0].get_wildcards(target)
        expanded = rule.expand_input(Wildcards(fromdict=wildcards))[0]
        names.append(rule.name)
        own_code = [str(f) for f in getattr(expanded, CODE)] if CODE in expanded._names else []
        code += [str(Path(rule.snakefile).resolve().relative_to(ROOT)), *own_code]
        for path in (str(f) for f in expanded if str(f) not in own_code):
            boundary = inside(path, bounds)
            if boundary is not None or not any(r.is_producer(path) for r in rules):
                reads.append(boundary or path)
            elif path not in seen:
                seen.add(path)
                todo.append(path)
    return {"rules": list(dict.fromkeys(names)), "code": list(dict.fromkeys(code)), "reads": list(dict.fromkeys(reads))}


def _main(request_file: str) -> None:
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, ResourceSettings

    request = json.loads(Path(request_file).read_text())
    overlay = Path(request_file).with_name("config.json")
    overlay.write_text(json.dumps(request["config"]))
    with SnakemakeApi() as api:
        workflow = api.workflow(
            ResourceSettings(cores=1),
            ConfigSettings(configfiles=[overlay]),
            snakefile=ROOT / "Snakefile",
            workdir=ROOT,
        )._workflow  # the parsed workflow: Snakemake has no public call for its rules
        boundaries = request["boundaries"]
        jobs = {
            name: _walk(workflow, targets, [b for b in boundaries if b not in own])
            for name, (targets, own) in request["stages"].items()
        }
        print(json.dumps(jobs))


if __name__ == "__main__":
    _main(sys.argv[1])
