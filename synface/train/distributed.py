"""Training in several processes (DistributedDataParallel) when torchrun starts them.

torchrun sets WORLD_SIZE, RANK, LOCAL_RANK and LOCAL_WORLD_SIZE for each process; without them
(or with WORLD_SIZE=1) training is the single-process run, untouched. With N > 1 processes:

- each takes its equal share of every global batch (`World.share`): N processes with B/N images
  each see exactly the batches (images, augmentation, labels, psi) one process sees with batch B;
- DDP averages the gradients, which for the IM/DM loss (means over the batch) is the gradient of
  the global batch's loss; the margin head's weights over all classes are replicated in every
  process (10,000 classes x 512 floats, 20 MB, at the paper's scale: no need to shard them);
- BatchNorm statistics are each process's own (B/N images) and dropout masks are drawn per process,
  so an N-process run is a valid but different run from the single-process one of the same seed;
- processes talk over NCCL on CUDA (one device each: no more processes on a machine than devices)
  and over gloo on the CPU (any number, sharing the cores);
- only rank 0 locks the run folder and writes checkpoints, logs and the model; every rank resumes
  from the same checkpoint.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import torch
import torch.distributed as dist

from synface.errors import SynfaceError
from synface.runtime.device import pick_device

ENV_VARIABLES = ("RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE")  # set by torchrun beside WORLD_SIZE


@dataclass(frozen=True)
class World:
    """This process's place among the training processes (rank 0 of 1 when torchrun did not start it)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """The process that writes the run's files."""
        return self.rank == 0

    def share(self, batch: int) -> slice:
        """This process's rows of a global batch: the rank-th of `size` equal parts."""
        n = batch // self.size
        return slice(self.rank * n, (self.rank + 1) * n)

    def check_batch(self, batch: int) -> None:
        """Refuse a global batch that does not split into equal shares."""
        if batch % self.size:
            raise SynfaceError(f"batch {batch} is not divisible by the {self.size} training processes")


SINGLE_PROCESS = World()


def _env_int(env: Mapping[str, str], name: str) -> int:
    value = env.get(name)
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SynfaceError(f"environment variable {name}={value!r}: expected an integer (torchrun sets it)") from None


def world_from_env(env: Mapping[str, str] = os.environ) -> World:
    """The World torchrun's environment variables describe; a single process without them."""
    if "WORLD_SIZE" not in env or _env_int(env, "WORLD_SIZE") == 1:
        return SINGLE_PROCESS
    rank, local_rank, local_size = (_env_int(env, name) for name in ENV_VARIABLES)
    return World(rank, _env_int(env, "WORLD_SIZE"), local_rank, local_size)


def check_devices(world: World, cuda_devices: int) -> None:
    """One CUDA device per process: refuse more processes on this machine than it has devices."""
    if cuda_devices and world.local_size > cuda_devices:
        raise SynfaceError(
            f"torchrun started {world.local_size} processes on this machine, which has {cuda_devices} CUDA "
            f"device(s): use --nproc_per_node {cuda_devices} or fewer"
        )


@contextlib.contextmanager
def joined(world: World, threads: int | None) -> Iterator[torch.device]:
    """This process's training device (`pick_device`), inside the process group when there are several."""
    if not world.distributed:
        yield pick_device(threads)
        return
    check_devices(world, torch.cuda.device_count() if torch.cuda.is_available() else 0)
    device = pick_device(threads, world.local_rank, world.local_size)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield device
    finally:
        dist.destroy_process_group()


def data_parallel(module: torch.nn.Module, world: World) -> torch.nn.Module:
    """`module` with its gradients averaged over the processes (DDP); itself for a single process.

    The batches are already on each process's device, so DDP moves no inputs (device_ids=None)."""
    if not world.distributed:
        return module
    return torch.nn.parallel.DistributedDataParallel(module, device_ids=None)


def global_mean(value: torch.Tensor, world: World) -> torch.Tensor:
    """The mean of a per-process scalar over the processes (gloo has no AVG: a sum, divided)."""
    if not world.distributed:
        return value
    total = value.clone()
    dist.all_reduce(total)
    return total / world.size
