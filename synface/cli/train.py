"""`synface train`: train a face recognizer on synthetic data (with identity mixup), real data, or both (domain mixup).

Which data: --syn alone trains on the synthetic set (identity mixup wherever its
metadata carries phi < 1: a no-IM set is simply one generated with phi = 1);
--real alone trains on real data only; --syn with --real is domain mixup.
Writes OUT/model.pt, OUT/checkpoint.pt and OUT/log.csv; rerun the same command to
resume a killed run. Prints one JSON line: {"model": OUT/model.pt, "log": OUT/log.csv}.
Under `torchrun --standalone --nproc_per_node N -m synface train ...` the run is data-parallel
over N processes (one per GPU, or CPU processes): --batch is the global batch, split evenly.
"""

from __future__ import annotations

import argparse
import json

from synface.cli.args import files, input_hw, integer, seed
from synface.models.architectures import MAX_EMBEDDING, architecture_names
from synface.train.config import HEADS, MAX_EPOCHS, MAX_MIN_STEPS, TrainConfig

DEFAULTS = TrainConfig(out=".", syn=".")  # only for the defaults shown in --help
# beyond these a typo runs for days or exhausts memory (the paper: 512-d embeddings, 40 epochs)


def add_model_arguments(parser: argparse.ArgumentParser) -> None:
    """--arch and --input, shared with `synface bench train`."""
    parser.add_argument(
        "--arch",
        choices=architecture_names(),
        default=DEFAULTS.arch,
        help="backbone (default %(default)s; the paper's is lresnet50e_ir)",
    )
    parser.add_argument(
        "--input",
        type=input_hw("--input"),
        default=DEFAULTS.input_hw,
        metavar="HxW",
        help="model input size (default %(default)s; the paper's is 112x96)",
    )
    parser.add_argument(
        "--threads",
        type=integer("--threads", 1),
        default=None,
        help="CPU threads (default: all cores; ignored on CUDA)",
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a model (synthetic / real / domain mixup)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--syn", help="synthetic dataset folder")
    p.add_argument(
        "--syn-subset",
        nargs=2,
        type=integer("--syn-subset", 1),
        metavar=("N", "S"),
        help="use Syn_N_S: first N identities x first S images",
    )
    p.add_argument("--real", help="real dataset folder (alone: real-only training; with --syn: domain mixup)")
    p.add_argument(
        "--real-subset",
        nargs=2,
        type=integer("--real-subset", 1),
        metavar=("N", "S"),
        help="use Real_N_S (identities with fewer images give what they have)",
    )
    add_model_arguments(p)
    p.add_argument(
        "--embedding",
        type=integer("--embedding", 1, most=MAX_EMBEDDING),
        default=DEFAULTS.embedding,
        help="embedding size (default %(default)s)",
    )
    p.add_argument("--head", choices=HEADS, default=DEFAULTS.head, help="margin head (default %(default)s)")
    p.add_argument("--scale", type=float, help="the head's logit scale s (default: the head's, 30)")
    p.add_argument("--margin", type=float, help="the head's margin m (default: the head's, ArcFace 0.5, CosFace 0.4)")
    p.add_argument(
        "--epochs",
        type=integer("--epochs", 1, most=MAX_EPOCHS),
        default=DEFAULTS.epochs,
        help="default %(default)s; LR x0.1 at 60/75/90 %%",
    )
    p.add_argument(
        "--min-steps",
        type=integer("--min-steps", 0, most=MAX_MIN_STEPS),
        default=DEFAULTS.min_steps,
        help="floor on SGD steps: a small set trains more epochs to reach it (default %(default)s)",
    )
    p.add_argument(
        "--warmup",
        type=float,
        default=DEFAULTS.warmup,
        help="linear LR warm-up, fraction of the steps (default %(default)s)",
    )
    p.add_argument("--batch", type=int, default=DEFAULTS.batch, help="batch size (default %(default)s)")
    p.add_argument("--lr", type=float, default=DEFAULTS.lr, help="initial learning rate (default %(default)s)")
    p.add_argument("--seed", type=seed(), default=DEFAULTS.seed, help="default %(default)s")
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="torch.use_deterministic_algorithms (CPU runs are then bit-reproducible)",
    )
    p.add_argument("--out", required=True, help="run folder (model.pt, checkpoint.pt, log.csv)")
    files(p, reads=("--syn", "--real"))
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from synface.train.distributed import world_from_env  # torch: imported only when needed
    from synface.train.loop import train

    config = TrainConfig(
        out=args.out,
        syn=args.syn,
        syn_subset=args.syn_subset,
        real=args.real,
        real_subset=args.real_subset,
        arch=args.arch,
        input_hw=args.input,
        embedding=args.embedding,
        head=args.head,
        scale=args.scale,
        margin=args.margin,
        epochs=args.epochs,
        min_steps=args.min_steps,
        warmup=args.warmup,
        batch=args.batch,
        lr=args.lr,
        seed=args.seed,
        threads=args.threads,
        deterministic=args.deterministic,
    )
    model = train(config)
    if world_from_env().main:  # under torchrun, one line for the run
        print(json.dumps({"model": str(model), "log": str(config.out / "log.csv")}))
    return 0
