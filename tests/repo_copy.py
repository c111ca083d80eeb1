"""A temporary copy of the repository for tests that run Snakemake, DVC or the CLI in it as a user would."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SMOKE = "config/smoke.yaml"
CONFIG = "config/config.yaml"
# numba compiles the renderer on first use (cache=True: about a minute a domain, on 2 cores) into the
# __pycache__ beside each source file, keyed by the source's content. A copy gets the checkout's compiled
# renderer, so each copy's first shard does not compile it again (two shards at once compiled it twice).
RENDER_ONCE = (
    "from synface.generator.sampling import GenerationSettings\n"
    "from synface.generator.synthesize import iter_rendered\n"
    "from synface.realdomain.browse import iter_photos\n"
    "from synface.realdomain.casia import real_train_settings\n"
    "list(iter_rendered(GenerationSettings(n_ids=2, per_id=1), range(2), progress=False))\n"
    "list(iter_photos(real_train_settings(0), 1, 1, progress=False))\n"
)


def run(cmd: list[str], cwd: Path, timeout: int = 900) -> str:
    """Run `cmd` with the venv's tools first on PATH; its stdout + stderr (it must succeed)."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(cmd)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr


def fresh_repo(path: Path, dvc_config: str = SMOKE, *, renders: bool = False) -> None:
    """A git repository holding the project's tracked files (no data, no results), its dvc.yaml
    generated from `dvc_config` (config/config.yaml: the committed one, which
    tests/workflow/test_experiments.py checks is what the generator writes) and no dvc.lock; with
    `renders`, also the checkout's compiled renderer (`share_compiled_renderer`)."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name == "dvc.lock" or (name == "dvc.yaml" and dvc_config != CONFIG) or not (ROOT / name).exists():
            continue
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, path / name)
    if renders:
        share_compiled_renderer(path)
    run(["git", "init", "-q"], path)
    run(["git", "config", "user.email", "ci@synface.invalid"], path)
    run(["git", "config", "user.name", "synface ci"], path)
    if dvc_config != CONFIG:
        run([str(BIN / "synface"), "dvc-yaml", "--config", dvc_config], path)
    run(["git", "add", "-A"], path)
    run(["git", "commit", "-qm", "fixture"], path)


def share_compiled_renderer(path: Path) -> None:
    """Compile the renderer in the checkout if it is not (one test at a time: the others wait), then
    copy numba's cache files into the same folders under `path`."""
    with open(Path(tempfile.gettempdir()) / "synface-tests-renderer.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run([sys.executable, "-c", RENDER_ONCE], ROOT)
    for cached in [*ROOT.glob("synface/**/__pycache__/*.nbi"), *ROOT.glob("synface/**/__pycache__/*.nbc")]:
        target = path / cached.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(cached, target)


def planned_jobs(dry_run: str) -> list[str]:
    """The job blocks of a Snakemake dry run's output: "NAME:\n    input: ...\n    output: ...", one per job."""
    return dry_run.split("\nrule ")[1:]


def job_field(job: str, key: str) -> str:
    """One field (input, output, ...) of a planned job's block."""
    return next(line.split(": ", 1)[1] for line in job.splitlines() if line.strip().startswith(f"{key}:"))
