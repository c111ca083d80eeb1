"""A temporary copy of the repository for tests that run Snakemake, DVC or the CLI in it as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SMOKE = "config/smoke.yaml"


def run(cmd: list[str], cwd: Path, timeout: int = 900) -> str:
    """Run `cmd` with the venv's tools first on PATH; its stdout + stderr (it must succeed)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr


def fresh_repo(path: Path, dvc_config: str = SMOKE) -> None:
    """A git repository holding the project's tracked files (no data, no results), its dvc.yaml
    generated from `dvc_config` (config/config.yaml: the committed one) and no dvc.lock."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name in ("dvc.yaml", "dvc.lock") or not (ROOT / name).exists():
            continue
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, path / name)
    run(["git", "init", "-q"], path)
    run(["git", "config", "user.email", "ci@synface.invalid"], path)
    run(["git", "config", "user.name", "synface ci"], path)
    run([str(BIN / "synface"), "dvc-yaml", "--config", dvc_config], path)
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-qm", "fixture"], path)


def planned_jobs(dry_run: str) -> list[str]:
    """The job blocks of a Snakemake dry run's output: "NAME:\n    input: ...\n    output: ...", one per job."""
    return dry_run.split("\nrule ")[1:]


def job_field(job: str, key: str) -> str:
    """One field (input, output, ...) of a planned job's block."""
    return next(line.split(": ", 1)[1] for line in job.splitlines() if line.strip().startswith(f"{key}:"))
