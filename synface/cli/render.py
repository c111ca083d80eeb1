"""`synface render`: look at the embedded generator (a browsable folder of JPEGs)."""

from __future__ import annotations

import argparse

from synface.generator.sampling import FACTOR_MODES, GenerationSettings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("render", help="render a synthetic set as browsable JPEGs (official SynFace names)")
    p.add_argument("--ids", type=int, required=True, help="number of identities (width)")
    p.add_argument("--per-id", type=int, required=True, help="images per identity (depth)")
    p.add_argument("--im", dest="identity_mixup", action=argparse.BooleanOptionalAction, default=True,
                   help="identity mixup (default: on)")
    p.add_argument("--factor", default="all", help=f"factor mode: {', '.join(FACTOR_MODES)} (default: all)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from synface.generator.browse import write_browsable  # numba: imported only when needed

    settings = GenerationSettings(args.ids, args.per_id, args.identity_mixup, args.factor, args.seed)
    write_browsable(settings, args.out)
    return 0
