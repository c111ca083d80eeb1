"""Reading a CSV input whole, bounded and strict: a header naming a column twice, a row with another
number of fields than the header, or a field beyond the csv module's limit is refused in one line
naming the file and line (not a traceback, nor a row silently padded with None)."""

from __future__ import annotations

import csv
import io
import os

from synface.errors import SynfaceError
from synface.io.textfile import read_text

MAX_CSV_BYTES = 64 * 2**20  # a scores CSV of LFW's 6,000 pairs is ~0.2 MB; results tables are a few kB


def read_csv(path: str | os.PathLike[str], cap: int = MAX_CSV_BYTES) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header of CSV file `path` (regular, UTF-8, at most `cap` bytes; a byte-order mark skipped)
    and its data rows, each with the line it starts on. Names in the header are compared stripped of
    spaces when checking that none is repeated; a blank line is a row of 0 fields."""
    text = read_text(path, cap).removeprefix("\ufeff")  # spreadsheet exports begin with one
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, line = [], 1
    try:
        for row in reader:
            rows.append((line, row))
            line = reader.line_num + 1  # a quoted field may span lines
    except csv.Error as err:  # e.g. "field larger than field limit (131072)"
        raise SynfaceError(f"{path}:{reader.line_num}: {err}") from None
    header = rows.pop(0)[1] if rows else []
    names = [name.strip() for name in header]
    repeated = next((name for k, name in enumerate(names) if name in names[:k]), None)
    if repeated is not None:
        raise SynfaceError(f"{path}:1: column {repeated!r} appears twice in the header")
    for number, row in rows:
        if len(row) != len(header):
            raise SynfaceError(f"{path}:{number}: expected {len(header)} fields, got {len(row)}")
    return header, rows


def read_csv_dicts(path: str | os.PathLike[str], cap: int = MAX_CSV_BYTES) -> tuple[list[str], list[dict[str, str]]]:
    """`read_csv`'s header and its rows as dicts keyed by the header's names (as `csv.DictReader`)."""
    header, rows = read_csv(path, cap)
    return header, [dict(zip(header, row, strict=True)) for _, row in rows]
