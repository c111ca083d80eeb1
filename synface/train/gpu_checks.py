"""GPU checks in one run (under 5 minutes on an H100/H200): paper-scale training speed against the card's peak.

    python -m synface.train.gpu_checks [--json PATH]   # default PATH: $OUT/gpu_checks.json when OUT is set
    python -m synface.train.gpu_checks --smoke         # the same code on any device at toy sizes (seconds)

1. `synface bench train --paper`: LResNet50E-IR at 112x96, batch 512, bf16 autocast, channels_last,
   a random set resident on the GPU; images/s of the training loop and of the bare SGD step.
2. One epoch of `synface train` at the paper's settings on a freshly generated synthetic set
   (identity mixup) of `PAPER_SET` images; its log's images/s (first steps' cuDNN autotuning included).

Each rate is set against the card's dense bf16 peak (`PEAK_BF16_DENSE`, 'unknown card' otherwise) at
6 x MACs FLOP per training image: 2 FLOP per multiply-accumulate forward, the backward twice the
forward (32.4 GFLOP for LResNet50E-IR at 112x96). Prints the figures, then the JSON line it writes.
Needs neither Snakemake nor DVC.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch

from synface.bench.train import benchmark
from synface.errors import exit_status
from synface.generator.sampling import GenerationSettings
from synface.generator.synthesize import generate
from synface.io.atomic import write_text
from synface.models.summary import train_flop_per_image
from synface.train.config import TrainConfig
from synface.train.loop import train

# Dense (no sparsity) bf16 tensor-core peak, FLOP/s, by a part of torch.cuda.get_device_name().
# H100 SXM reports "H100 80GB HBM3"; PCIe and NVL H100s have lower peaks and count as unknown.
PEAK_BF16_DENSE = {"H200": 989e12, "H100 80GB HBM3": 989e12, "H100 SXM": 989e12, "A100": 312e12}
# (identities, images each) of the generated set: the paper's 50 per identity, 39 steps of 512
PAPER_SET = (400, 50)
# The arguments of `synface bench train --paper` (--paper sets arch, input and batch; the rest are the
# CLI's defaults) and, --smoke, of the smallest backbone at the smallest input a 112x96 render
# downscales to exactly; tests/unit/test_gpu_checks.py checks both against the CLI's parse
PAPER_BENCH = {"paper": True, "steps": 10, "warmup": 3, "rounds": 5, "ceiling": False}
SMOKE_BENCH = {
    "paper": False,
    "arch": "lresnet10e_ir_tiny",
    "input": (56, 48),
    "batch": 8,
    "steps": 2,
    "warmup": 1,
    "rounds": 1,
    "ceiling": False,
}
SMOKE_SET = (8, 4)


def card() -> str:
    return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"


def peak_bf16(card_name: str) -> float | None:
    """The card's dense bf16 peak in FLOP/s, None for a card not in `PEAK_BF16_DENSE`."""
    return next((peak for part, peak in PEAK_BF16_DENSE.items() if part in card_name), None)


def _rate(images_per_s: float, flop: float, peak: float | None) -> dict[str, float | None]:
    return {"images_per_s": images_per_s, "peak_fraction": None if peak is None else images_per_s * flop / peak}


def one_epoch(tmp: Path, config: dict[str, object], ids: int, per_id: int) -> dict[str, float]:
    """Render a synthetic set of ids x per_id, train one epoch on it; the seconds and the log's images/s."""
    start = time.perf_counter()
    syn = generate(GenerationSettings(ids, per_id, seed=0), tmp / "syn", progress=False)
    render_s = time.perf_counter() - start
    run = TrainConfig(out=tmp / "run", syn=syn, epochs=1, **config)
    train(run)
    log = pd.read_csv(run.out / "log.csv")
    return {
        "images": ids * per_id,
        "render_s": render_s,
        "train_s": float(log["seconds"].iloc[0]),
        "images_per_s": float(log["images_per_s"].iloc[0]),
    }


def bench_arguments(smoke: bool) -> argparse.Namespace:
    """What `synface bench train --paper` (or the smoke run's toy sizes) hands the benchmark."""
    return argparse.Namespace(threads=None, dataset=None, **(SMOKE_BENCH if smoke else PAPER_BENCH))


def checks(smoke: bool) -> dict[str, object]:
    """Both checks' figures (see the module docstring)."""
    args = bench_arguments(smoke)
    measured = benchmark(args)  # --paper refuses without CUDA
    name = card()
    peak = peak_bf16(name)
    flop = train_flop_per_image(args.arch, args.input)
    config = {"arch": args.arch, "input_hw": args.input, "batch": args.batch}
    with tempfile.TemporaryDirectory(prefix="synface-gpu-checks-") as tmp:
        epoch = one_epoch(Path(tmp), config, *(SMOKE_SET if smoke else PAPER_SET))
    return {
        "card": name,
        "peak_bf16_flop_per_s": peak,
        "train_flop_per_image": flop,
        "smoke": smoke,
        "bench": {
            "loop_bf16": _rate(measured["bf16"]["images_per_s"], flop, peak),
            "bare_bf16": _rate(measured["bf16"]["bare_images_per_s"], flop, peak),
            "result": measured,
        },
        "one_epoch": {**epoch, **_rate(epoch["images_per_s"], flop, peak)},
    }


def report_lines(result: dict[str, object]) -> list[str]:
    """The figures for people: card, images/s and the share of the card's peak."""

    def share(rate: dict[str, float | None]) -> str:
        fraction = rate["peak_fraction"]
        return "unknown card" if fraction is None else f"{100 * fraction:.1f} % of the bf16 dense peak"

    bench_rates, epoch = result["bench"], result["one_epoch"]
    return [
        f"card: {result['card']} ({result['train_flop_per_image'] / 1e9:.1f} GFLOP per training image)",
        *(
            f"bench train, {label} (bf16): {bench_rates[key]['images_per_s']:,.0f} images/s, {share(bench_rates[key])}"
            for label, key in (("training loop", "loop_bf16"), ("bare step", "bare_bf16"))
        ),
        (
            f"one epoch of {epoch['images']:,} rendered images (rendered in {epoch['render_s']:.0f} s): "
            f"{epoch['images_per_s']:,.0f} images/s, {share(epoch)}"
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__name__}", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--smoke", action="store_true", help="toy sizes on any device, to test this script")
    out = os.environ.get("OUT")
    parser.add_argument(
        "--json",
        type=Path,
        default=Path(out) / "gpu_checks.json" if out else None,
        help="write the result here (default: $OUT/gpu_checks.json when OUT is set)",
    )
    args = parser.parse_args(argv)

    def run() -> int:
        result = checks(args.smoke)
        for line in report_lines(result):
            print(line, file=sys.stderr)
        text = json.dumps(result)
        if args.json is not None:
            write_text(args.json, text + "\n")
        print(text)
        return 0

    return exit_status(run)


if __name__ == "__main__":
    sys.exit(main())
