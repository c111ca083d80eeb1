"""Reading a small input whole, bounded: a FIFO, a device or a huge file is refused in one line
naming it (and the cap), instead of waiting forever or exhausting memory."""

from __future__ import annotations

import os
import stat

from synface.errors import SynfaceError

MAX_TEXT_BYTES = 16 * 2**20  # configs, pairs lists, JSON records and CSVs of this project are far smaller


def read_bytes(path: str | os.PathLike[str], cap: int) -> bytes:
    """The bytes of regular file `path`, at most `cap` of them."""
    # O_NONBLOCK: opening a FIFO does not wait for a writer, so fstat can refuse it
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SynfaceError(f"{path}: not a regular file (inputs are read whole)")
        # st_size refuses a huge file before reading it; reading cap + 1 bytes, one that grows meanwhile
        data = b"" if info.st_size > cap else f.read(cap + 1)
    if info.st_size > cap or len(data) > cap:
        raise SynfaceError(f"{path}: larger than the {cap:,} bytes this input may hold")
    return data


def read_text(path: str | os.PathLike[str], cap: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of regular file `path`, at most `cap` bytes."""
    data = read_bytes(path, cap)
    try:
        return data.decode()
    except UnicodeDecodeError as err:
        raise SynfaceError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason})") from None
