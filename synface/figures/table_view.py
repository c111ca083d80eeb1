"""A results CSV as a self-contained HTML page, so the Snakemake report shows the table itself
(it displays HTML inline but offers a CSV only as a download)."""

from __future__ import annotations

import base64
import html
import os
from pathlib import Path

import pandas as pd

from synface.io.atomic import write_text

PROSE_CHARS = 60  # a text column with a longer cell (the claims' statements and evidence) wraps in its cells
STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 12px; color: #222; }
h1 { font-size: 16px; margin: 0 0 8px; }
table { border-collapse: collapse; }
th, td { padding: 3px 10px; border-bottom: 1px solid #ddd; white-space: nowrap; }
th { text-align: left; background: #f3f3f3; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.prose { white-space: normal; min-width: 18em; }
tr:hover td { background: #fafae0; }
"""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def table_html(frame: pd.DataFrame, title: str) -> str:
    """An HTML page of `frame`'s cells exactly as written (the CSV's own rounding), numbers right-aligned,
    prose wrapped and all but its first column moved last, so that a wide table (claims) reads in the report's pane."""
    numeric = {c for c in frame.columns if all(_is_number(v) for v in frame[c] if v != "")}
    prose = [c for c in frame.columns if c not in numeric and frame[c].str.len().max() > PROSE_CHARS]
    # the short columns (a claim's verdict) stay in view: prose after the first moves to the end
    frame = frame[[c for c in frame.columns if c not in prose[1:]] + prose[1:]]
    css = {c: ' class="num"' if c in numeric else ' class="prose"' if c in prose else "" for c in frame.columns}
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        "<tr>"
        + "".join(f"<td{css[c]}>{html.escape(v)}</td>" for c, v in zip(frame.columns, row, strict=True))
        + "</tr>\n"
        for row in frame.itertuples(index=False)
    )
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body><h1>{html.escape(title)}</h1>\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>\n{rows}</tbody></table></body></html>\n"
    )


def write_table_view(csv: str | os.PathLike[str], out: str | os.PathLike[str]) -> None:
    """Write `csv` (a results table) as an HTML page at `out`, atomically."""
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    write_text(out, table_html(frame, Path(csv).name))


def headline_html(claims: pd.DataFrame, figure: bytes) -> str:
    """An HTML fragment for the report's start page: each claim's verdict beside its statement, then
    the headline figure, embedded (the report is one self-contained file)."""
    rows = "".join(
        f"<tr><td>{html.escape(c)}</td><td><b>{html.escape(v)}</b></td><td>{html.escape(s)}</td></tr>\n"
        for c, v, s in zip(claims["claim"], claims["verdict"], claims["statement"], strict=True)
    )
    image = base64.b64encode(figure).decode()
    return (
        "<table><thead><tr><th>claim</th><th>verdict</th><th>statement (paper)</th></tr></thead>\n"
        f"<tbody>\n{rows}</tbody></table>\n"
        f'<img alt="the headline figure" src="data:image/png;base64,{image}" style="width: 100%">\n'
    )


def write_headline(claims: str | os.PathLike[str], figure: str | os.PathLike[str], out: str | os.PathLike[str]) -> None:
    """Write the start page's fragment (`headline_html`) of the claims table and the figure at `out`."""
    frame = pd.read_csv(claims, dtype=str, keep_default_na=False)
    write_text(out, headline_html(frame, Path(figure).read_bytes()))
