"""`synface results [TABLE]`: the result tables (results/tables/*.csv) in the terminal, 100 columns wide.

    synface results                 every paper table, then the claims
    synface results width_depth     one table (cross_domain, width_depth, domain_mixup, attributes, claims,
                                    final_loss)
    synface results seeds           every run's accuracy, seed by seed (results/metrics/*/seed*/*.json)

A paper table prints a line per row and test set: our accuracy (mean over seeds, %), its std and
95 % confidence interval over seeds, the paper's number and Δ = ours − paper; a column with one
value in the whole table (test set, seeds, profile) moves into its title. The claims print a block
each: statement, verdicts, rule, and the evidence (ours, then the paper's) a comparison a line.
`final_loss` (convergence: each training set's final loss and how much it still fell at the end)
prints its columns as written; `seeds` a line per training and test set with each seed's accuracy,
the numbers behind every mean.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from synface.errors import SynfaceError
from synface.io.csvfile import read_csv_dicts
from synface.naming import TABLES

WIDTH = 100
GAP = "  "
MIN_WRAP = 8  # a wrapped column keeps at least this many characters a line
# Paper-table columns shown, in order: (heading, CSV column or None for the CI, right-aligned)
SHOWN = [
    ("row", "row", False),
    ("train", "train", False),
    ("IM", "im", False),
    ("test", "test", False),
    ("ours", "accuracy", True),
    ("std", "std", True),
    ("95% CI", None, True),
    ("seeds", "seeds", True),
    ("paper", "paper", True),
    ("Δ", "delta", True),
    ("profile", "profile", False),
]
TITLE_WHEN_CONSTANT = {"test", "seeds", "profile"}


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "results",
        help="print the result tables and the claims",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("table", nargs="?", metavar="TABLE", help="one table (default: every table and the claims)")
    p.add_argument("--results", type=Path, default=Path("results"), help="results folder (default %(default)s)")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from synface.analysis import claims, convergence, tables  # pandas: imported only when needed

    shown_by_default = {name: tables.COLUMNS for name in TABLES} | {"claims": claims.COLUMNS}
    columns = shown_by_default | {"final_loss": convergence.FINAL_LOSS_COLUMNS}
    if args.table == "seeds":
        return _print(seed_lines(args.results / "metrics"))
    if args.table is not None and args.table not in columns:
        raise SynfaceError(f"unknown table {args.table!r}; choose one of {', '.join([*columns, 'seeds'])}")
    names = list(shown_by_default) if args.table is None else [args.table]
    folder = args.results / "tables"
    if not folder.is_dir():
        raise SynfaceError(f"{folder}: no result tables; build them with {_how_to_build('results/tables/NAME.csv')}")
    missing = [name for name in names if not (folder / f"{name}.csv").is_file()]
    if missing:
        files = [f"{name}.csv" for name in missing]
        how = _how_to_build(*(f"results/tables/{file}" for file in files))
        raise SynfaceError(f"{folder}: {', '.join(files)} not built; build with {how}")
    blocks = []
    for name in names:
        rows = read_table(folder / f"{name}.csv", columns[name])
        if name == "claims":
            blocks.append(claims_lines(rows))
        elif name == "final_loss":
            blocks.append(final_loss_lines(rows))
        else:
            blocks.append(table_lines(name, rows))
    return _print([line for block in _spaced(blocks) for line in block])


def _spaced(blocks: list[list[str]]) -> list[list[str]]:
    return [block if k == 0 else ["", *block] for k, block in enumerate(blocks)]


def _print(lines: list[str]) -> int:
    try:
        print("\n".join(lines), flush=True)
    except BrokenPipeError:  # `synface results | head`: the reader took what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nor a second error at exit
    return 0


def seed_lines(folder: Path) -> list[str]:
    """Each (training set, test set): its accuracy per seed in %, their mean and sample std."""
    from synface.analysis.metrics import load_metrics

    files = sorted(folder.glob("*/seed*/*.json"))
    if not files:
        raise SynfaceError(f"{folder}: no per-seed metrics; build them with {_how_to_build('metrics')}")
    frame = load_metrics(files)
    frame["accuracy"] *= 100.0
    by_seed = frame.pivot_table(index=["train", "test"], columns="seed", values="accuracy", sort=True)
    seeds = [f"seed {seed}" for seed in by_seed.columns]
    rows = [
        [
            train,
            test,
            *("" if math.isnan(v) else f"{v:.2f}" for v in values),
            f"{values.mean():.2f}",
            f"{values.std():.2f}",
        ]
        for (train, test), values in by_seed.iterrows()
    ]
    headings = ["train", "test", *seeds, "mean", "std"]
    return [
        *textwrap.wrap(f"accuracy in % by seed ({folder}); mean and sample std over the seeds", WIDTH),
        *grid(headings, rows, [h not in ("train", "test") for h in headings]),
    ]


def _how_to_build(*targets: str) -> str:
    return f"`make reproduce` or `snakemake {' '.join(targets)}`"


def read_table(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """The CSV's rows as written (the numbers already rounded by the pipeline); refuses other columns."""
    header, rows = read_csv_dicts(path)
    if header != list(columns):
        raise SynfaceError(f"{path}:1: columns {header}, expected {list(columns)}; rebuild it with `snakemake {path}`")
    return rows


def _cell(row: dict[str, str], column: str | None) -> str:
    if column is None:
        return f"{row['ci_low']}–{row['ci_high']}" if row["ci_low"] else ""
    if column == "im":
        return "yes" if row["im"] == "True" else "no"
    return row[column]


def table_lines(name: str, rows: list[dict[str, str]]) -> list[str]:
    """A paper table (`synface.analysis.tables`): a title, then a grid at most WIDTH wide."""
    constant = {c: rows[0][c] for c in TITLE_WHEN_CONSTANT if rows and len({r[c] for r in rows}) == 1}
    shown = [(heading, column, right) for heading, column, right in SHOWN if column not in constant]
    title = ", ".join([name, *(f"{heading} {constant[c]}" for heading, c, _ in SHOWN if c in constant)])
    return [
        f"{title}; accuracy in %, Δ = ours − paper",
        *grid(
            [heading for heading, _, _ in shown],
            [[_cell(row, column) for _, column, _ in shown] for row in rows],
            [right for _, _, right in shown],
        ),
    ]


def final_loss_lines(rows: list[dict[str, str]]) -> list[str]:
    """The convergence table (`synface.analysis.convergence`): a title, then its columns as written."""
    from synface.analysis.convergence import FLAT_FALL  # already imported by _run

    headings = list(rows[0]) if rows else []
    text = {"table", "train", "flat"}
    title = (
        "final_loss; final_loss: the loss over the last tenth of the steps, mean over seeds; end_fall_pct: "
        f"how much it still fell from the tenth before, largest over seeds (%); flat: every seed fell < {FLAT_FALL:.0%}"
    )
    return [
        *textwrap.wrap(title, WIDTH),
        *grid(headings, [list(row.values()) for row in rows], [h not in text for h in headings]),
    ]


def grid(headings: list[str], rows: list[list[str]], right: list[bool], width: int = WIDTH) -> list[str]:
    """Columns under their headings; too wide, the widest left-aligned column wraps its cells."""
    widths = [max(len(line[i]) for line in [headings, *rows]) for i in range(len(headings))]
    wrappable = [i for i, r in enumerate(right) if not r]
    while sum(widths) + len(GAP) * (len(widths) - 1) > width and wrappable:
        widest = max(wrappable, key=lambda i: widths[i])
        if widths[widest] <= MIN_WRAP:
            break
        widths[widest] -= 1
    lines = []
    for cells in [headings, ["-" * w for w in widths], *rows]:
        parts = [textwrap.wrap(cell, widths[i]) or [""] for i, cell in enumerate(cells)]
        for k in range(max(len(p) for p in parts)):
            texts = [p[k] if k < len(p) else "" for p in parts]
            lines.append(
                GAP.join(t.rjust(w) if r else t.ljust(w) for t, w, r in zip(texts, widths, right, strict=True)).rstrip()
            )
    return lines


def _wrap(text: str, indent: str, hanging: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + hanging)


def _evidence(label: str, evidence: str) -> list[str]:
    """`synface.analysis.claims` evidence, "counts: comparison; comparison; ...", a comparison a line."""
    if not evidence:
        return []
    counts, _, comparisons = evidence.partition(": ")
    lines = _wrap(f"{label}: {counts}", "   ", "  ")
    for comparison in comparisons.split("; ") if comparisons else []:
        lines += _wrap(f"- {comparison}", "     ", "  ")
    return lines


def claims_lines(rows: list[dict[str, str]]) -> list[str]:
    """The claims table (`synface.analysis.claims`): a block per claim."""
    profiles = ", ".join(dict.fromkeys(row["profile"] for row in rows))
    lines = [f"claims, profile {profiles}"]
    for row in rows:
        lines += [
            "",
            *_wrap(f"{row['claim']}. {row['statement']}", "", "   "),
            *_wrap(
                f"verdict: {row['verdict']}; holds by mean: {row['holds']}"
                f" (paper: {row['paper_holds']}; by its own sampling error: {row['paper_verdict']})",
                "   ",
            ),
            *_wrap(f"rule: {row['rule']}", "   ", "  "),
            *_evidence("ours", row["evidence"]),
            *_evidence("paper", row["paper_evidence"]),
        ]
    return lines
