"""`synface bench {train,...}`: throughput benchmarks, each printing one JSON line.

Each benchmark lives in its library module, which provides `add_arguments(parser)`
and `run(args) -> int`; add a benchmark by listing its module below (e.g. `render`).
"""

from __future__ import annotations

import argparse
import importlib

# name -> module with add_arguments(parser) and run(args)
BENCHMARKS = {
    "render": "synface.generator.bench",
    "train": "synface.train.bench",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="throughput benchmarks", description=__doc__)
    sub = p.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        doc = (module.__doc__ or "").strip()
        bp = sub.add_parser(
            name,
            help=doc.splitlines()[0] if doc else None,
            description=doc,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(bp)
        bp.set_defaults(func=module.run)
