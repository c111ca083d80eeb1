"""Training-loop throughput against a bare forward/backward loop, with the backbone in fp32 and in bf16.

The training loop (memory-mapped uint8 gather, augmentation, IM/DM labels, prefetch
thread, SGD step) is timed over --steps steps after --warmup steps; the bare loop
repeats the same SGD step on one batch already prepared on the device. Both run with
the backbone in fp32 and under bf16 autocast (the head stays fp32). Prints ONE JSON
line: images_per_s, bare_images_per_s and ratio (the data pipeline's cost: 1.0 = free)
for the precision training uses on this machine (`backbone`), the same three under
`fp32` and `bf16`, and `bf16_native`: false on a CPU without AMX-BF16 / AVX512-BF16,
whose bf16 numbers are emulated (stderr says so too). Without --dataset a temporary
random dataset with identity-mixup labels is written with DatasetWriter, at the size every
pipeline set is stored at (112x96), so a smaller --input pays the downscaling training pays. --paper:
LResNet50E-IR at 112x96, batch 512, on CUDA (refused without CUDA); it overrides
--arch, --input and --batch.

--ceiling adds where the loop stands against the hardware: `train_flop_per_image` (forward and
backward, `synface.models.summary`), the loop's `gflop_per_s`, `fp32_peak_gflop_per_s` (a
2048x2048 fp32 matrix product on the same threads: the practical peak), the loop's share of it,
and `convolutions`: the backbone's convolutions alone at their shapes in a batch (forward, weight
and input gradients), their GFLOP/s and the images/s the loop would reach if nothing but them
took time (`ceiling_images_per_s`).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from synface.data.storage import DatasetWriter, empty_metadata
from synface.errors import SynfaceError
from synface.generator.synthesize import IMAGE_SIZE
from synface.models.lresnet import build_backbone
from synface.models.summary import conv_macs, train_flop_per_image
from synface.runtime.device import (
    CPU_BF16_VARIABLE,
    backbone_bf16,
    backbone_precision,
    cpu_has_native_bf16,
    pick_device,
    prepare_input,
    prepare_model,
    synchronize,
)
from synface.train.config import TrainConfig
from synface.train.loader import TrainData
from synface.train.loop import Trainer

PAPER = {"arch": "lresnet50e_ir", "input": (112, 96), "batch": 512}
IMAGES_PER_IDENTITY = 50
PRECISIONS = {"fp32": False, "bf16": True}  # name -> bf16 autocast of the backbone
CEILING_STEPS = 20  # a layer's steps per timed round: one tiny convolution alone is too short to time


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


def measure(trainer: Trainer, steps: int, warmup: int, rounds: int = 3) -> dict[str, dict[str, float]]:
    """Per precision, best images/s of the training loop and of the bare step loop over alternating rounds.

    Alternating (loop, bare, in fp32 then bf16) and keeping each side's best round makes the
    ratios robust to other processes stealing the CPU for a while (a shared machine) and to
    warm-up effects.
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

    for bf16 in PRECISIONS.values():  # oneDNN builds its kernels per dtype: warm up both
        with backbone_precision(bf16):
            loop(warmup)
            bare(warmup)
    loop_s: dict[str, list[float]] = {name: [] for name in PRECISIONS}
    bare_s: dict[str, list[float]] = {name: [] for name in PRECISIONS}
    for _ in range(rounds):
        for name, bf16 in PRECISIONS.items():
            with backbone_precision(bf16):
                loop_s[name].append(_timed(device, lambda: loop(steps)))
                bare_s[name].append(_timed(device, lambda: bare(steps)))
    result: dict[str, dict[str, float]] = {}
    for name in PRECISIONS:
        loop_rate, bare_rate = steps * batch / min(loop_s[name]), steps * batch / min(bare_s[name])
        result[name] = {"images_per_s": loop_rate, "bare_images_per_s": bare_rate, "ratio": loop_rate / bare_rate}
    return result


def fp32_peak(device: torch.device) -> float:
    """GFLOP/s of a 2048x2048 fp32 matrix product on `device` (its threads): the practical fp32 peak."""
    a, b = (torch.randn(2048, 2048, device=device) for _ in range(2))
    a @ b  # warm-up
    return 2 * 2048**3 / min(_timed(device, lambda: a @ b) for _ in range(5)) / 1e9


def convolution_ceiling(arch: str, input_hw: tuple[int, int], batch: int, device: torch.device) -> dict[str, float]:
    """The backbone's convolutions alone, each at its shape in a batch (forward, weight and input
    gradients; the first sees the images, so no input gradient): GFLOP/s, FLOP per image, and the
    images/s of a loop in which nothing else took time."""
    model = prepare_model(build_backbone(arch, input_hw), device)
    shapes: list[tuple[torch.nn.Conv2d, torch.Size, int]] = []  # each convolution, its input shape, outputs
    hooks = [
        m.register_forward_hook(lambda m, x, y: shapes.append((m, x[0].shape, y.numel())))
        for m in model.modules()
        if isinstance(m, torch.nn.Conv2d)
    ]
    with torch.no_grad():
        model.eval()(prepare_input(torch.zeros(batch, 3, *input_hw, device=device)))
    for hook in hooks:
        hook.remove()
    flop = seconds = 0.0
    for k, (conv, shape, outputs) in enumerate(shapes):
        x = prepare_input(torch.randn(shape, device=device)).requires_grad_(k > 0)
        flop += 2 * conv_macs(conv, outputs) * (3 if k > 0 else 2)

        def steps(conv: torch.nn.Conv2d = conv, x: torch.Tensor = x) -> None:
            for _ in range(CEILING_STEPS):
                conv(x).sum().backward()

        steps()  # warm-up: oneDNN picks and caches its kernels
        seconds += min(_timed(device, steps) for _ in range(5)) / CEILING_STEPS
    return {
        "gflop_per_s": flop / seconds / 1e9,
        "flop_per_image": flop / batch,
        "ceiling_images_per_s": batch / seconds,
    }


def ceiling(args: argparse.Namespace, device: torch.device, images_per_s: float) -> dict[str, object]:
    """`--ceiling`'s figures (module docstring) for the loop's measured `images_per_s`."""
    flop, peak = train_flop_per_image(args.arch, args.input), fp32_peak(device)
    convolutions = convolution_ceiling(args.arch, args.input, args.batch, device)
    gflop_per_s = images_per_s * flop / 1e9
    return {
        "train_flop_per_image": flop,
        "gflop_per_s": gflop_per_s,
        "fp32_peak_gflop_per_s": peak,
        "peak_fraction": gflop_per_s / peak,
        "convolutions": convolutions | {"peak_fraction": convolutions["gflop_per_s"] / peak},
    }


def _bf16_note(device: torch.device, native: bool, used: str) -> str:
    """One line for people: does the hardware do bf16 natively, and which precision does training use."""
    where = "this GPU" if device.type == "cuda" else "this CPU"
    kind = "" if device.type == "cuda" else " (AMX-BF16 or AVX512-BF16)"
    has = f"has native bf16{kind}" if native else f"has no native bf16{kind}: its bf16 numbers are emulated"
    override = "" if device.type == "cuda" else f"; {CPU_BF16_VARIABLE}=0|1|auto chooses"
    return f"bench train: {where} {has}; training uses {used} here{override}"


def benchmark(args: argparse.Namespace) -> dict[str, object]:
    """The measurements `run` prints (see the module docstring)."""
    if args.paper:
        if not torch.cuda.is_available():
            raise SynfaceError("bench train --paper needs a CUDA GPU (LResNet50E-IR at 112x96, batch 512, bf16)")
        args.arch, args.input, args.batch = PAPER["arch"], PAPER["input"], PAPER["batch"]
    device = pick_device(args.threads)
    used = "bf16" if backbone_bf16(device) else "fp32"  # before the long run: a bad SYNFACE_CPU_BF16 fails here
    native = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_native_bf16()
    with tempfile.TemporaryDirectory(prefix="synface-bench-") as tmp:
        dataset = args.dataset
        if dataset is None:
            dataset = Path(tmp) / "random"
            # up to 32 batches: longer runs span several epochs, paying each epoch's start
            write_random_dataset(dataset, args.batch * min(args.steps, 32), IMAGE_SIZE)
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
        results = measure(trainer, args.steps, args.warmup, args.rounds)
    print(_bf16_note(device, native, used), file=sys.stderr)
    return {
        "arch": args.arch,
        "input": list(args.input),
        "batch": args.batch,
        "steps": args.steps,
        "rounds": args.rounds,
        "device": device.type,
        "threads": torch.get_num_threads(),
        "backbone": used,
        **results[used],
        "bf16_native": native,
        **results,
        **(ceiling(args, device, results[used]["images_per_s"]) if args.ceiling else {}),
    }


def run(args: argparse.Namespace) -> int:
    print(json.dumps(benchmark(args)))
    return 0
