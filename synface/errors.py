"""The one error type the CLI turns into a clean one-line message and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable


class SynfaceError(Exception):
    """A user-facing error: bad input, bad config, a missing or malformed file."""


def exit_status(run: Callable[[], int]) -> int:
    """The exit status of a command `run`: its own, or 2 after one line `synface: error: ...` on stderr
    for a SynfaceError or an OSError (e.g. a full disk: not a traceback), 130 for Ctrl-C."""
    try:
        return run()
    except SynfaceError as err:
        print(f"synface: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        print(f"synface: error: {where}{err.strerror or err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("synface: interrupted", file=sys.stderr)
        return 130


def one_line(err: BaseException) -> str:
    """The first line of an exception's message (pandas' and torch's run over several), else its type."""
    lines = str(err).strip().splitlines()
    return lines[0] if lines else type(err).__name__
