"""Progress of long loops on stderr: tqdm's bar on a terminal, plain lines anywhere else.

A bar redraws itself with carriage returns, which a log file keeps as one unreadable line; there,
`LineProgress` prints tqdm's own statistics (no bar) as a line every LINE_EVERY_S seconds and a
last line when the loop ends, ended early included.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Self, TextIO

from tqdm import tqdm

LINE_EVERY_S = 30.0


class LineProgress:
    """The part of tqdm's interface the project uses (`update`, `set_postfix`, a context manager), as lines."""

    def __init__(self, total: int, desc: str, unit: str, file: TextIO, every_s: float = LINE_EVERY_S) -> None:
        self.total, self.desc, self.unit, self.file, self.every_s = total, desc, unit, file, every_s
        self.n = 0
        self.postfix = ""
        self.start = self.last_line = time.monotonic()
        self.shown: int | None = None  # the count the last line showed

    def update(self, n: int = 1) -> None:
        self.n += n
        if time.monotonic() - self.last_line >= self.every_s:
            self._line()

    def set_postfix(self, refresh: bool = True, **values: object) -> None:
        """`refresh` is tqdm's; a line shows the postfix of the moment it is printed."""
        self.postfix = ", ".join(f"{key}={value}" for key, value in values.items())

    def close(self) -> None:
        if self.shown != self.n:
            self._line()

    def _line(self) -> None:
        self.last_line = time.monotonic()
        stats = tqdm.format_meter(
            self.n,
            self.total,
            self.last_line - self.start,
            ncols=0,
            prefix=self.desc,
            unit=self.unit,
            postfix=self.postfix,
        )
        print(stats, file=self.file, flush=True)
        self.shown = self.n

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def progress_bar(total: int, desc: str, unit: str, *, leave: bool = True, disable: bool = False) -> tqdm | LineProgress:
    """A progress bar over `total` units on stderr. `leave` (keep the bar once done) is for a terminal:
    in a log, every loop's last line stays."""
    if disable or sys.stderr.isatty():
        return tqdm(total=total, desc=desc, unit=unit, leave=leave, disable=disable, file=sys.stderr)
    return LineProgress(total, desc, unit, sys.stderr)
