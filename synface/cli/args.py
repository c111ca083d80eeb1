"""Argument types shared by subcommands: a bad value is one SynfaceError line naming the flag
(argparse's own type errors print the usage block first)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path

from synface.data.imagefiles import MAX_SIDE
from synface.errors import SynfaceError
from synface.io.paths import check_apart
from synface.models.architectures import parse_input_hw

SEED_LIMIT = 2**32  # the range every RNG seeded from a --seed takes (numpy refuses negatives)


def integer(
    flag: str, low: int | None = None, high: int | None = None, *, most: int | None = None
) -> Callable[[str], int]:
    """An argparse type: a whole number, with low <= value < high and value <= most where given."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise SynfaceError(f"{flag} {text!r} is not a whole number") from None
        if low is not None and value < low:
            raise SynfaceError(f"{flag} {value}: must be >= {low}")
        if high is not None and value >= high:
            raise SynfaceError(f"{flag} {value}: must be < {high}")
        if most is not None and value > most:
            raise SynfaceError(f"{flag} {value}: must be at most {most:,}")
        return value

    return parse


def byte_size(n: int) -> str:
    """A cap in bytes as help texts give it: whole MiB, or GiB from 1 GiB."""
    return f"{n // 2**30:,} GiB" if n >= 2**30 else f"{n // 2**20:,} MiB"


def seed(flag: str = "--seed") -> Callable[[str], int]:
    """A --seed: within SEED_LIMIT."""
    return integer(flag, 0, SEED_LIMIT)


def input_hw(flag: str) -> Callable[[str], tuple[int, int]]:
    """An argparse type: 'HxW' with each side at most MAX_SIDE (a huge size would only fail in the allocator)."""

    def parse(text: str) -> tuple[int, int]:
        hw = parse_input_hw(text)
        if max(hw) > MAX_SIDE:
            raise SynfaceError(f"{flag} {text}: each side must be at most {MAX_SIDE}")
        return hw

    return parse


def output_file(flag: str) -> Callable[[str], Path]:
    """An argparse type: the path of a file to write, refused at once if it is a folder
    (the atomic write would only fail at the end, naming its temporary file)."""

    def parse(text: str) -> Path:
        path = Path(text)
        if path.is_dir():
            raise SynfaceError(f"{flag} {text}: is a folder; give the path of a file")
        return path

    return parse


def files(parser: argparse.ArgumentParser, *, reads: Sequence[str] = (), writes: Sequence[str] = ("--out",)) -> None:
    """Declare the arguments (flags, or positionals in capitals) naming what `parser`'s command reads and
    writes, for `check_files`."""
    parser.set_defaults(reads=tuple(reads), writes=tuple(writes))


def check_files(args: argparse.Namespace) -> None:
    """Before a command runs: refuse an output that is a special file, or is, lies inside or contains
    one of its inputs (`check_apart`), whatever the command."""

    def given(flags: Sequence[str]) -> dict[str, str]:
        values = {flag: getattr(args, flag.lstrip("-").replace("-", "_").lower()) for flag in flags}
        return {flag: value for flag, value in values.items() if value is not None}

    check_apart(given(getattr(args, "writes", ())), given(getattr(args, "reads", ())))
