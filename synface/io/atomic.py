"""Atomic outputs: write under a temporary name, rename when complete.

A crash, a full disk or a Ctrl-C never leaves a file or dataset folder under its
final name that later steps would take as complete. Folder outputs (datasets, rendered
sets, training runs) are also locked for the whole write, so a second writer of the
same folder fails at once instead of silently replacing the first one's result.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from synface.errors import SynfaceError, one_line


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str], *, directory: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling path; rename it onto `final` on success, delete it on error."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    prefix = _temporary_prefix(final)
    # mkdtemp and mkstemp make 0700 and 0600: outputs are shared like any folder or file
    if directory:
        tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=final.parent))
        os.chmod(tmp, 0o777 & ~_umask())
    else:
        fd, name = tempfile.mkstemp(prefix=prefix, dir=final.parent)
        os.close(fd)
        tmp = Path(name)
        os.chmod(tmp, 0o666 & ~_umask())
    try:
        with naming_write_errors(final):  # a folder's writers name its files themselves where they can
            yield tmp
        if directory and final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def naming_write_errors(path: str | os.PathLike[str]) -> Iterator[None]:
    """An OSError of the block that names no file becomes one line naming `path`, the file being written:
    a full disk says only "No space left on device", or in numpy's words "225792 requested and 122752 written"."""
    try:
        yield
    except OSError as err:
        if err.filename is not None:
            raise
        raise write_failed(path, err) from err


def write_failed(path: str | os.PathLike[str], err: BaseException) -> SynfaceError:
    """The one-line error for a failed write of `path`."""
    detail = err.strerror if isinstance(err, OSError) and err.strerror else one_line(err)
    return SynfaceError(f"{path}: write failed ({detail})")


def _temporary_prefix(final: Path) -> str:
    return f".{final.name}.tmp-"


@contextlib.contextmanager
def output_lock(final: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive advisory lock on output `final` (`.NAME.lock` beside it) for the block.

    A second holder fails at once naming the first (pid and host). The kernel drops the lock
    when its holder exits or dies, so a rerun (e.g. a training run resuming) just takes it.
    Holding it, temporaries of `final` (and of files inside a `final` folder) can only be a
    killed writer's leftovers: they are removed.
    """
    absolute = Path(os.path.abspath(final))  # "." and "..": a real name to lock beside
    absolute.parent.mkdir(parents=True, exist_ok=True)
    lock_file = absolute.parent / f".{absolute.name}.lock"
    fd = _acquire(lock_file, final)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        _remove_stale_temporaries(absolute)
        yield
    finally:
        lock_file.unlink(missing_ok=True)  # still holding it: a waiter opened either this inode or a new file
        os.close(fd)


def _acquire(lock_file: Path, final: str | os.PathLike[str]) -> int:
    """An open descriptor of `lock_file`, exclusively locked; raises naming the holder if it is taken."""
    while True:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace").strip() or "a process starting up"
            os.close(fd)
            raise SynfaceError(f"{final}: another run is writing this output ({holder})") from None
        except BaseException:
            os.close(fd)
            raise
        try:
            if os.path.samestat(os.fstat(fd), os.stat(lock_file)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)  # the previous holder removed the file between our open and lock: lock the new one


def _remove_stale_temporaries(final: Path) -> None:
    stale = list(final.parent.glob(glob.escape(_temporary_prefix(final)) + "*"))
    if final.is_dir():
        stale += final.glob(".*.tmp-*")
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def new_folder(final: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """`atomic_path(final, directory=True)` under `output_lock(final)`; unless `overwrite`, `final`
    must be absent or an empty folder (checked under the lock, so two writers cannot both pass)."""
    final = Path(final)
    with output_lock(final):
        if not overwrite and final.exists() and (not final.is_dir() or any(final.iterdir())):
            raise SynfaceError(f"{final}: output exists and is not an empty folder")
        with atomic_path(final, directory=True) as tmp:
            yield tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(final: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(final) as tmp:
        tmp.write_text(text)
