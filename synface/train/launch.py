"""A pipeline job's training on the GPUs it gets: in its own process on one, in torchrun processes on more.

`python -m synface.train.launch CONFIG.json [--discard-stale]` is the command torchrun starts in each
process: the run's TrainConfig as `TrainConfig.to_dict` wrote it (every setting, including those
`synface train` has no flag for).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from synface.errors import SynfaceError, exit_status
from synface.runtime.modelfile import model_path
from synface.train.config import TrainConfig
from synface.train.loop import train


def train_job(config: TrainConfig, gpus: int, *, discard_stale: bool = False) -> Path:
    """Train `config` on `gpus` GPUs (a job's `gpu` resource): one process for one, else one per GPU."""
    if gpus <= 1:
        return train(config, discard_stale=discard_stale)
    return train_processes(config, gpus, discard_stale=discard_stale)


def torchrun_command(processes: int, config_file: Path, *, discard_stale: bool) -> list[str]:
    """torchrun on this machine alone (`--standalone`: a free port), `processes` workers of this module."""
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc_per_node={processes}",
        "-m",
        __name__,
        str(config_file),
        *(["--discard-stale"] if discard_stale else []),
    ]


def train_processes(config: TrainConfig, processes: int, *, discard_stale: bool = False) -> Path:
    """Train `config` in `processes` torchrun processes (gloo on the CPU, NCCL on CUDA); return the model file.

    Their output goes to this process's stderr line by line, so that a job's log (`synface.workflow.log_to`)
    holds it."""
    with tempfile.TemporaryDirectory(prefix="synface-torchrun-") as tmp:
        config_file = Path(tmp) / "config.json"
        config_file.write_text(json.dumps(config.to_dict()))
        command = torchrun_command(processes, config_file, discard_stale=discard_stale)
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as run:
            for line in run.stdout:  # type: ignore[union-attr]
                sys.stderr.write(line)
    if run.returncode:
        raise SynfaceError(
            f"training {config.out} in {processes} processes failed (torchrun exit status {run.returncode}); "
            "the processes' output is above"
        )
    return model_path(config.out)


def _worker(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {__name__}", description=__doc__)
    parser.add_argument("config", type=Path, help="the run's settings, as TrainConfig.to_dict writes them")
    parser.add_argument("--discard-stale", action="store_true", help="retrain over a checkpoint of other settings")
    args = parser.parse_args(argv)

    def run() -> int:
        train(TrainConfig.from_dict(json.loads(args.config.read_text())), discard_stale=args.discard_stale)
        return 0

    return exit_status(run)


if __name__ == "__main__":
    sys.exit(_worker())
