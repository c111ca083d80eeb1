"""Where an output may go: its real path, never a special file, never an input; inputs never special files.

An output is written beside and renamed onto its real path (symbolic links resolved), so two names
of one output share one lock and one set of temporaries, and a rename never replaces a device, a FIFO
or a socket with a regular file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from synface.errors import SynfaceError

# a temporary's or lock's name is the output's plus ".", ".tmp-" and mkstemp's 8 characters
NAME_MAX = 255 - len("..tmp-") - 8
_SPECIAL = {
    stat.S_ISCHR: "a character device",
    stat.S_ISBLK: "a block device",
    stat.S_ISFIFO: "a FIFO",
    stat.S_ISSOCK: "a socket",
}


def output_target(path: str | os.PathLike[str]) -> Path:
    """The real path output `path` is written to; refused in one line naming `path` when it is (a link
    to) a special file, a dangling link, the root folder, or a name too long for the temporary beside it."""
    real = Path(os.path.realpath(path))
    if real.parent == real:
        raise SynfaceError(f"{path}: is the root folder; give an output below it")
    if len(os.fsencode(real.name)) > NAME_MAX:
        raise SynfaceError(f"{path}: name of {len(os.fsencode(real.name))} bytes; outputs take at most {NAME_MAX}")
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        if os.path.lexists(path):
            raise SynfaceError(f"{path}: is a symbolic link to {real}, which does not exist") from None
        return real
    if (kind := _special(mode)) is not None:
        link = f" (a symbolic link to {real})" if real != Path(os.path.abspath(path)) else ""
        raise SynfaceError(f"{path}: is {kind}{link}; an output replaces only a regular file or folder")
    return real


def _special(mode: int) -> str | None:
    """What a file of `mode` is when it is a device, FIFO or socket, else None."""
    return next((kind for test, kind in _SPECIAL.items() if test(mode)), None)


def check_apart(outputs: Mapping[str, str | os.PathLike[str]], inputs: Mapping[str, str | os.PathLike[str]]) -> None:
    """Refuse, naming both, an output (flag -> path) that is, lies inside or contains an input (flag -> path)
    after symbolic links are resolved, or that another output names too: writing it would destroy that input
    or mix the output into it. Each output must also pass `output_target`; an input that is a device, FIFO
    or socket is refused too (reading it could wait forever or never end)."""
    for source, path in inputs.items():
        try:
            kind = _special(os.stat(path).st_mode)
        except OSError:
            continue  # missing or unreadable: the command says so in its own words
        if kind is not None:
            raise SynfaceError(f"{path}: {source} is {kind}; inputs are regular files or folders")
    seen: dict[Path, str] = {}
    for flag, out in outputs.items():
        target = output_target(out)
        for source, path in inputs.items():
            real = Path(os.path.realpath(path))
            if target == real:
                raise SynfaceError(f"{out}: {flag} would overwrite {source} {path}")
            if target.is_relative_to(real):
                raise SynfaceError(f"{out}: {flag} lies inside {source} {path}")
            if real.is_relative_to(target):
                raise SynfaceError(f"{out}: {flag} contains {source} {path}")
        if target in seen:
            raise SynfaceError(f"{out}: {flag} and {seen[target]} name the same file")
        seen[target] = flag
