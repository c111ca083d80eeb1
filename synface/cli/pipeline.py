"""`synface dvc-yaml`: write dvc.yaml from a workflow config (the DAG's single source)."""

from __future__ import annotations

import argparse

from synface.cli.args import files, output_file


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("dvc-yaml", help="generate dvc.yaml (DVC stages) from a workflow config")
    p.add_argument("--config", default="config/config.yaml", help="workflow config (default %(default)s)")
    p.add_argument("--out", type=output_file("--out"), default="dvc.yaml", help="output file (default %(default)s)")
    files(p, reads=("--config",))
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from synface.dvcgen import write_dvc_yaml

    print(write_dvc_yaml(args.config, args.out))
    return 0
