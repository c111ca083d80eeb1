"""Argument types shared by subcommands: a bad value is one SynfaceError line naming the flag
(argparse's own type errors print the usage block first)."""

from __future__ import annotations

from collections.abc import Callable

from synface.errors import SynfaceError

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


def seed(flag: str = "--seed") -> Callable[[str], int]:
    """A --seed: within SEED_LIMIT."""
    return integer(flag, 0, SEED_LIMIT)
