"""`synface model ...`: inspect the backbone architectures."""

from __future__ import annotations

import argparse

from synface.cli.args import input_hw, integer
from synface.models.architectures import architecture_names


def register(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("model", help="inspect backbone architectures")
    sub = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    summary = sub.add_parser("summary", help="state_dict shapes, parameter count and MACs of an architecture")
    summary.add_argument("--arch", required=True, help=f"one of: {', '.join(architecture_names())}")
    summary.add_argument(
        "--input", type=input_hw("--input"), required=True, metavar="HxW", help="input image size, e.g. 112x96"
    )
    summary.add_argument(
        "--embedding", type=integer("--embedding", 1), default=512, help="embedding size (default %(default)s)"
    )
    summary.set_defaults(func=run_summary)


def run_summary(args: argparse.Namespace) -> int:
    from synface.models.lresnet import build_backbone  # torch: imported only when needed
    from synface.models.summary import summarize

    model = build_backbone(args.arch, args.input, args.embedding)
    print("\n".join(summarize(model, args.input).lines()))
    return 0
