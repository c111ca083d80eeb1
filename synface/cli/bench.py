"""`synface bench {render,train,realism}`: throughput and realism benchmarks, each printing one JSON line.

The arguments are defined here; the work lives in the library (`synface.bench.render`,
`synface.bench.train`, `synface.bench.realism`), imported only when a benchmark runs
so the CLI starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from synface.cli.args import files, integer, output_file, seed
from synface.cli.render import add_domain_argument, add_factor_argument, check_image_count
from synface.cli.train import add_model_arguments
from synface.errors import SynfaceError
from synface.generator.sampling import GenerationSettings

# bench train: beyond these a typo runs for hours or exhausts memory (the paper's batch is 512)
MAX_BATCH, MAX_STEPS, MAX_ROUNDS = 4096, 10_000, 100


def _render_arguments(parser: argparse.ArgumentParser) -> None:
    _count_arguments(parser, ids=200, per_id=25)
    parser.add_argument(
        "--threads", type=integer("--threads", 1), default=os.cpu_count(), help="numba threads (default: all cores)"
    )


def _count_arguments(parser: argparse.ArgumentParser, *, ids: int, per_id: int) -> None:
    """--ids and --per-id of a rendering benchmark (their product is checked before it runs)."""
    parser.add_argument(
        "--ids", type=integer("--ids", 1), default=ids, help="identities to render (default %(default)s)"
    )
    parser.add_argument(
        "--per-id", type=integer("--per-id", 1), default=per_id, help="images per identity (default %(default)s)"
    )


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    add_model_arguments(parser)
    parser.set_defaults(arch="lresnet10e_ir", input=(56, 48))
    parser.add_argument(
        "--batch", type=integer("--batch", 1, most=MAX_BATCH), default=64, help="batch size (default %(default)s)"
    )
    parser.add_argument(
        "--steps", type=integer("--steps", 1, most=MAX_STEPS), default=10, help="timed steps (default %(default)s)"
    )
    parser.add_argument(
        "--warmup",
        type=integer("--warmup", 0, most=MAX_STEPS),
        default=3,
        help="untimed steps first (default %(default)s)",
    )
    parser.add_argument(
        "--rounds",
        type=integer("--rounds", 1, most=MAX_ROUNDS),
        default=5,
        help="alternating timed rounds; the best of each side counts (default %(default)s)",
    )
    parser.add_argument("--dataset", type=Path, help="training set (default: a temporary random one, stored at 112x96)")
    parser.add_argument("--paper", action="store_true", help="LResNet50E-IR, 112x96, batch 512, bf16 (needs CUDA)")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also the fp32 peak (a matrix product) and the model's convolutions alone: how far the loop can go",
    )
    files(parser, reads=("--dataset",), writes=())


def _realism_arguments(parser: argparse.ArgumentParser) -> None:
    add_domain_argument(parser, "the embedded generator's faces or stand-in real photos")
    _count_arguments(parser, ids=12, per_id=8)
    add_factor_argument(parser)
    parser.add_argument("--seed", type=seed(), default=0, help="seed of the rendered faces (default %(default)s)")
    parser.add_argument(
        "--sheet", type=output_file("--sheet"), help="also write the judged crops as a PNG grid (identities x images)"
    )
    files(parser, writes=("--sheet",))


def _check_count(args: argparse.Namespace) -> None:
    """A rendering benchmark renders at most what one `synface render` call may."""
    check_image_count(args.ids, args.per_id)


def _check_realism(args: argparse.Namespace) -> None:
    """The image count, and --factor: synthetic only, and an unknown mode fails before dlib loads."""
    _check_count(args)
    if args.factor is None:
        return
    if args.domain == "real":
        raise SynfaceError("--factor is synthetic-only: real photos draw every factor per photo")
    GenerationSettings(args.ids, args.per_id, identity_mixup=False, factor=args.factor)


@dataclass(frozen=True)
class Benchmark:
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    module: str  # the library module with run(args) -> int
    check: Callable[[argparse.Namespace], None] | None = None  # argument limits beyond each argument's own


BENCH_COMMANDS = {
    "render": Benchmark(
        "aligned 112x96 faces rendered into storage, images per minute",
        _render_arguments,
        "synface.bench.render",
        _check_count,
    ),
    "train": Benchmark(
        "training-loop images/s and its ratio to a bare forward/backward loop",
        _train_arguments,
        "synface.bench.train",
    ),
    "realism": Benchmark(
        "dlib's face detection rate, identity AUC and mixup rho on rendered faces",
        _realism_arguments,
        "synface.bench.realism",
        _check_realism,
    ),
}


def _runner(benchmark: Benchmark) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        if benchmark.check is not None:
            benchmark.check(args)
        return importlib.import_module(benchmark.module).run(args)

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="throughput and realism benchmarks", description=__doc__)
    sub = p.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name, benchmark in BENCH_COMMANDS.items():
        bp = sub.add_parser(name, help=benchmark.help, description=benchmark.help)
        benchmark.arguments(bp)
        bp.set_defaults(func=_runner(benchmark))
