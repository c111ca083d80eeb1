"""`synface render`: look at the embedded generator or the stand-in real domain (a browsable folder of JPEGs)."""

from __future__ import annotations

import argparse

from synface.cli.args import files, integer, seed
from synface.errors import SynfaceError
from synface.generator.sampling import FACTOR_MODES, GenerationSettings

DOMAINS = ("synthetic", "real")
MAX_IMAGES = 1_000_000  # per call: beyond it a typo (--ids 100000) would render for days and fill the disk


def _domain(text: str) -> str:
    # a SynfaceError, not argparse's choices: one line and exit 2, without the usage block
    if text not in DOMAINS:
        raise SynfaceError(f"unknown domain {text!r}; choose one of {', '.join(DOMAINS)}")
    return text


def add_domain_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    """--domain, shared with `synface bench realism`."""
    parser.add_argument(
        "--domain",
        type=_domain,
        default="synthetic",
        metavar="{" + ",".join(DOMAINS) + "}",
        help=f"{help_text} (default: synthetic)",
    )


def add_factor_argument(parser: argparse.ArgumentParser) -> None:
    """--factor, shared with `synface bench realism`; None when not given, so --domain real can refuse it."""
    parser.add_argument(
        "--factor",
        help=f"factor mode: {', '.join(FACTOR_MODES)} (synthetic only; default: all; "
        "real photos draw every factor per photo)",
    )


def check_image_count(ids: int, per_id: int) -> None:
    """At most MAX_IMAGES per call (render, and the render and realism benchmarks)."""
    if ids * per_id > MAX_IMAGES:
        raise SynfaceError(
            f"--ids {ids} x --per-id {per_id} = {ids * per_id:,} images; one call renders at most {MAX_IMAGES:,}"
        )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "render", help="render a synthetic or stand-in real set as browsable JPEGs (official SynFace names)"
    )
    add_domain_argument(
        p,
        "synthetic: the embedded generator; real: stand-in real photos (synface.realdomain), "
        "of stand-in CASIA-WebFace identities",
    )
    p.add_argument("--ids", type=integer("--ids"), required=True, help="number of identities (width)")
    p.add_argument("--per-id", type=integer("--per-id"), required=True, help="images per identity (depth)")
    # None: not given, so --domain real can refuse what it cannot do
    p.add_argument(
        "--im",
        dest="identity_mixup",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="identity mixup (synthetic only; default: on)",
    )
    add_factor_argument(p)
    p.add_argument("--seed", type=seed(), default=0)
    p.add_argument("--out", required=True, help="output folder (must not exist or be empty)")
    files(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    check_image_count(args.ids, args.per_id)
    # numba: the renderers are imported only when needed
    if args.domain == "real":
        if args.identity_mixup is not None or args.factor is not None:
            raise SynfaceError(
                "--im/--no-im and --factor are synthetic-only: real photos have no identity mixup "
                "and draw every factor per photo"
            )
        from synface.realdomain.browse import write_browsable_real

        write_browsable_real(args.ids, args.per_id, args.out, seed=args.seed)
        return 0
    from synface.generator.browse import write_browsable

    identity_mixup = args.identity_mixup is not False  # on unless --no-im
    factor = "all" if args.factor is None else args.factor
    if identity_mixup and 1 <= args.ids <= args.per_id:  # GenerationSettings refuses it; name the flags that fix it
        raise SynfaceError(
            f"render: identity mixup gives each image a distinct partner identity, so --per-id {args.per_id} "
            f"needs at least {args.per_id + 1} identities (--ids), or render without it (--no-im)"
        )
    settings = GenerationSettings(args.ids, args.per_id, identity_mixup, factor, args.seed)
    write_browsable(settings, args.out)
    return 0
