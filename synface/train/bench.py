"""Training-loop throughput against a bare forward/backward loop.

The training loop (memory-mapped uint8 gather, augmentation, IM/DM labels, prefetch
thread, SGD step) is timed over --steps steps after --warmup steps; the bare loop
repeats the same SGD step on one batch already prepared on the device. Prints ONE
JSON line with images_per_s, bare_images_per_s and ratio (the data pipeline's cost:
1.0 = free). Without --dataset a temporary random dataset with identity-mixup labels
is written with DatasetWriter. --paper: LResNet50E-IR at 112x96, batch 512, bf16 on
CUDA (refused without CUDA); it overrides --arch, --input and --batch.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from synface.data.storage import DatasetWriter, empty_metadata
from synface.errors import SynfaceError
from synface.train.config import TrainConfig
from synface.train.device import pick_device, synchronize
from synface.train.loader import TrainData
from synface.train.loop import Trainer

PAPER = {"arch": "lresnet50e_ir", "input": (112, 96), "batch": 512}
IMAGES_PER_IDENTITY = 50


def write_random_dataset(path: Path, n: int, hw: tuple[int, int], seed: int = 0) -> None:
    """n random images in identities of 50, each with a random IM partner and phi."""
    rng = np.random.default_rng(seed)
    n_ids = max(2, n // IMAGES_PER_IDENTITY)
    meta = empty_metadata(n)
    meta["identity"] = np.arange(n) % n_ids
    meta = meta.sort_values("identity", kind="stable").reset_index(drop=True)
    meta["image"] = meta.groupby("identity").cumcount()
    meta["partner"] = (meta["identity"] + rng.integers(1, n_ids, n)) % n_ids
    meta["phi"] = rng.integers(0, 21, n) / 20
    with DatasetWriter(path, *hw) as writer:
        writer.append(rng.integers(0, 256, (n, *hw, 3), dtype=np.uint8), meta)


def _timed(device: torch.device, work: Callable[[], None]) -> float:
    synchronize(device)
    start = time.perf_counter()
    work()
    synchronize(device)
    return time.perf_counter() - start


def measure(trainer: Trainer, steps: int, warmup: int, rounds: int = 3) -> dict[str, float]:
    """Best images/s of the training loop and of the bare step loop over alternating rounds.

    Alternating and keeping each side's best round makes the ratio robust to other
    processes stealing the CPU for a while (a shared machine) and to warm-up effects.
    """
    data, device, batch = trainer.data, trainer.device, trainer.config.batch
    # lr 0: the same arithmetic per step, but weights cannot drift (e.g. into slow denormals)
    # differently in the two loops, which would make the comparison unfair
    for group in trainer.optimizer.param_groups:
        group["lr"] = 0.0
    epochs = itertools.count()

    def loop(n: int) -> None:
        while n > 0:
            trainer.train_epoch(next(epochs), max_steps=min(n, data.steps_per_epoch))
            n -= data.steps_per_epoch

    with contextlib.closing(data.batches(0, 1)) as batches:
        fixed = next(batches)

    def bare(n: int) -> None:
        for _ in range(n):
            trainer.step(fixed)

    loop(warmup)
    bare(warmup)
    loop_s, bare_s = [], []
    for _ in range(rounds):
        loop_s.append(_timed(device, lambda: loop(steps)))
        bare_s.append(_timed(device, lambda: bare(steps)))
    return {"images_per_s": steps * batch / min(loop_s), "bare_images_per_s": steps * batch / min(bare_s)}


def run(args: argparse.Namespace) -> int:
    if args.paper:
        if not torch.cuda.is_available():
            raise SynfaceError("bench train --paper needs a CUDA GPU (LResNet50E-IR at 112x96, batch 512, bf16)")
        args.arch, args.input, args.batch = PAPER["arch"], PAPER["input"], PAPER["batch"]
    device = pick_device(args.threads)
    with tempfile.TemporaryDirectory(prefix="synface-bench-") as tmp:
        dataset = args.dataset
        if dataset is None:
            dataset = Path(tmp) / "random"
            # up to 32 batches: longer runs span several epochs, paying each epoch's start
            write_random_dataset(dataset, args.batch * min(args.steps, 32), args.input)
        config = TrainConfig(
            out=Path(tmp) / "run",
            syn=dataset,
            arch=args.arch,
            input_hw=args.input,
            batch=args.batch,
            epochs=1,
            threads=args.threads,
        )
        trainer = Trainer(config, TrainData(config, device), device)
        result = measure(trainer, args.steps, args.warmup, args.rounds)
    result["ratio"] = result["images_per_s"] / result["bare_images_per_s"]
    print(
        json.dumps(
            {
                "arch": args.arch,
                "input": list(args.input),
                "batch": args.batch,
                "steps": args.steps,
                "rounds": args.rounds,
                "device": device.type,
                "threads": torch.get_num_threads(),
                **result,
            }
        )
    )
    return 0
