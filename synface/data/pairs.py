"""LFW View 2 protocol files (`pairs.txt`): strict parsing and writing.

Layout: a header `n_folds n_per_fold`, then for each fold `n_per_fold` matched lines
`name n1 n2` (two distinct images of one person) followed by `n_per_fold` mismatched lines
`name1 n1 name2 n2` (two distinct people). Image numbers are 1-based; image (name, n)
lives at `name/name_{n:04d}.jpg`. Fields are separated by any whitespace (the official
file uses tabs). Pair k of a parsed file sits on line k + 2.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import NamedTuple

from synface.errors import SynfaceError
from synface.io.atomic import write_text
from synface.io.textfile import read_text

_INDEX = re.compile(r"[0-9]+")


class Pair(NamedTuple):
    name1: str
    n1: int
    name2: str
    n2: int
    same: bool
    fold: int  # 0-based


@dataclass
class PairsFile:
    n_folds: int
    n_per_fold: int
    pairs: list[Pair]

    def images(self) -> list[tuple[str, int]]:
        """The distinct images the pairs reference, sorted by (name, number)."""
        return sorted({(p.name1, p.n1) for p in self.pairs} | {(p.name2, p.n2) for p in self.pairs})


def image_relpath(name: str, n: int, suffix: str = ".jpg") -> str:
    """LFW's file name of image number n (1-based) of `name`."""
    return f"{name}/{name}_{n:04d}{suffix}"


def pair_line(k: int) -> int:
    """The line of pair k (0-based) in a pairs file: the header is line 1."""
    return k + 2


def _slot(k: int, n_per_fold: int) -> tuple[int, bool]:
    """(fold, same) that position k of the body must hold."""
    fold, pos = divmod(k, 2 * n_per_fold)
    return fold, pos < n_per_fold


def _check_name(name: str, where: str) -> str:
    if "/" in name or "\\" in name or name in (".", ".."):
        raise SynfaceError(f"{where}: name {name!r} is not a plain folder name")
    return name


def _check_people(p: Pair, where: str) -> None:
    """A matched pair is two distinct images of one person; a mismatched pair, two distinct people."""
    if p.same and p.name1 != p.name2:
        raise SynfaceError(f"{where}: matched pair has two names {p.name1!r}, {p.name2!r}")
    if p.same and p.n1 == p.n2:
        raise SynfaceError(f"{where}: matched pair of image {p.n1} of {p.name1!r} with itself")
    if not p.same and p.name1 == p.name2:
        raise SynfaceError(f"{where}: mismatched pair names {p.name1!r} twice (it needs two people)")


def _index(text: str, where: str) -> int:
    if not _INDEX.fullmatch(text):
        raise SynfaceError(f"{where}: image number {text!r} is not a positive integer")
    n = int(text)
    if n < 1:
        raise SynfaceError(f"{where}: image number {n} < 1 (numbers are 1-based)")
    return n


def parse_pairs(path: str | os.PathLike[str]) -> PairsFile:
    """Read a pairs file, checking every line against the header's fold structure."""
    try:
        lines = read_text(path).splitlines()
    except OSError as err:
        raise SynfaceError(f"{path}: cannot read pairs file ({err})") from None
    while lines and not lines[-1].strip():
        lines.pop()  # trailing blank lines only; a blank line inside would shift line numbers
    if not lines:
        raise SynfaceError(f"{path}: empty pairs file (expected a header 'n_folds n_per_fold')")
    header = lines[0].split()
    if len(header) != 2 or not all(_INDEX.fullmatch(h) and int(h) > 0 for h in header):
        raise SynfaceError(f"{path}:1: header {lines[0]!r} is not 'n_folds n_per_fold' (two positive integers)")
    n_folds, n_per_fold = int(header[0]), int(header[1])
    expected = 2 * n_folds * n_per_fold
    body = lines[1:]
    promise = f"the header (line 1) promises {n_folds} folds x {2 * n_per_fold} = {expected} pairs"
    if len(body) > expected:
        raise SynfaceError(f"{path}:{pair_line(expected)}: extra line; {promise}")
    if len(body) < expected:
        raise SynfaceError(f"{path}:{len(lines)}: file ends after {len(body)} pairs; {promise}")
    pairs = []
    for k, line in enumerate(body):
        where = f"{path}:{pair_line(k)}"
        fields = line.split()
        fold, same = _slot(k, n_per_fold)
        if len(fields) not in (3, 4):
            raise SynfaceError(f"{where}: expected 3 fields (matched) or 4 (mismatched), found {len(fields)}")
        if (len(fields) == 3) != same:
            kind, want = ("matched", "mismatched") if len(fields) == 3 else ("mismatched", "matched")
            raise SynfaceError(
                f"{where}: {kind} pair where fold {fold + 1} of the header's {n_folds}x{n_per_fold} layout "
                f"expects a {want} pair"
            )
        if same:
            name = _check_name(fields[0], where)
            pair = Pair(name, _index(fields[1], where), name, _index(fields[2], where), True, fold)
        else:
            pair = Pair(
                _check_name(fields[0], where),
                _index(fields[1], where),
                _check_name(fields[2], where),
                _index(fields[3], where),
                False,
                fold,
            )
        _check_people(pair, where)
        pairs.append(pair)
    return PairsFile(n_folds, n_per_fold, pairs)


def format_pairs(pairs_file: PairsFile) -> str:
    """The text of a pairs file; raises if `pairs_file` does not follow its own fold layout."""
    pf = pairs_file
    if len(pf.pairs) != 2 * pf.n_folds * pf.n_per_fold:
        raise SynfaceError(
            f"pairs: {len(pf.pairs)} pairs, layout {pf.n_folds}x(2x{pf.n_per_fold}) "
            f"needs {2 * pf.n_folds * pf.n_per_fold}"
        )
    lines = [f"{pf.n_folds}\t{pf.n_per_fold}"]
    for k, p in enumerate(pf.pairs):
        if (p.fold, p.same) != _slot(k, pf.n_per_fold):
            raise SynfaceError(f"pairs: pair {k} {p} is out of place in the fold layout")
        _check_people(p, f"pairs: pair {k}")
        for name, n in ((p.name1, p.n1), (p.name2, p.n2)):
            _check_name(name, f"pairs: pair {k}")
            if n < 1 or any(c.isspace() for c in name) or not name:
                raise SynfaceError(f"pairs: pair {k} has an unwritable image ({name!r}, {n})")
        lines.append(f"{p.name1}\t{p.n1}\t{p.n2}" if p.same else f"{p.name1}\t{p.n1}\t{p.name2}\t{p.n2}")
    return "\n".join(lines) + "\n"


def write_pairs(path: str | os.PathLike[str], pairs_file: PairsFile) -> None:
    """Write a pairs file atomically (tab-separated, like the official file)."""
    write_text(path, format_pairs(pairs_file))
