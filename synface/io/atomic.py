"""Atomic outputs: write under a temporary name, rename when complete.

A crash, a full disk or a Ctrl-C never leaves a file or dataset folder under its
final name that later steps would take as complete. Folder outputs (datasets, rendered
sets, training runs) are also locked for the whole write, so a second writer of the
same folder fails at once instead of silently replacing the first one's result. Each
temporary is locked by its writer while it lives, so only a dead writer's are ever swept,
and publishing never deletes what another writer put in place meanwhile.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from synface.errors import SynfaceError, one_line
from synface.io.paths import output_target


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike[str], *, directory: bool = False, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary sibling of `final`'s real path (`output_target`); rename it onto that path on success,
    delete it on error. A folder replaces an existing one only with `overwrite`; otherwise only an empty
    one (atomically: whatever appears in it meanwhile is not deleted, and the rename is refused)."""
    given, final = final, output_target(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    with _owned_temporary(final, directory) as tmp:
        try:
            with naming_write_errors(given):  # a folder's writers name its files themselves where they can
                yield tmp
            _publish(tmp, final, given, directory=directory, overwrite=overwrite)
        except BaseException:
            _remove(tmp)
            raise


@contextlib.contextmanager
def _owned_temporary(final: Path, directory: bool) -> Iterator[Path]:
    """A new temporary sibling of `final`, exclusively locked (flock) while the block runs: the lock tells
    a sweeper (`_remove_if_orphaned`) that its writer is alive; the kernel drops it when the writer dies."""
    while True:
        # mkdtemp and mkstemp make 0700 and 0600: outputs are shared like any folder or file
        if directory:
            tmp = Path(tempfile.mkdtemp(prefix=_temporary_prefix(final), dir=final.parent))
            os.chmod(tmp, 0o777 & ~_umask())
            fd = os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)
        else:
            fd, name = tempfile.mkstemp(prefix=_temporary_prefix(final), dir=final.parent)
            tmp = Path(name)
            os.chmod(tmp, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while a sweeper checks it
            if _is_file_of(fd, tmp):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # a sweeper took it for a dead writer's between its creation and our lock: make another
    try:
        yield tmp
    finally:
        os.close(fd)


def _is_file_of(fd: int, path: Path) -> bool:
    """Whether `path` (not followed if a link) is still the file open as `fd`."""
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(path))
    except FileNotFoundError:
        return False


def _publish(tmp: Path, final: Path, given: str | os.PathLike[str], *, directory: bool, overwrite: bool) -> None:
    if directory and overwrite and final.is_dir():
        shutil.rmtree(final)
    try:
        os.replace(tmp, final)  # a folder replaces an empty folder only
    except OSError as err:
        if err.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            raise
        if not directory:
            raise SynfaceError(f"{given}: is a folder; give the path of a file") from None
        raise SynfaceError(f"{given}: output exists and is not an empty folder (it was filled meanwhile)") from None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


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
    """Hold an exclusive advisory lock on output folder `final` (`.NAME.lock` beside its real path) for the block.

    A second holder, under any name of the same folder, fails at once naming the first (pid and host).
    The kernel drops the lock when its holder exits or dies, so a rerun (e.g. a training run resuming)
    just takes it. Holding it, temporaries of `final` (and of files inside a `final` folder) whose writer
    is gone are a killed writer's leftovers: they are removed; a live writer's (another output's
    inside this folder) are left alone.
    """
    real = output_target(final)
    if real.exists() and not real.is_dir():
        raise SynfaceError(f"{final}: output exists and is not a folder")
    real.parent.mkdir(parents=True, exist_ok=True)
    lock_file = real.parent / f".{real.name}.lock"
    fd = _acquire(lock_file, final)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode())
        _remove_stale_temporaries(real)
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
    candidates = list(final.parent.glob(glob.escape(_temporary_prefix(final)) + "*"))
    if final.is_dir():
        candidates += final.glob(".*.tmp-*")
    for path in candidates:
        _remove_if_orphaned(path)


def _remove_if_orphaned(path: Path) -> None:
    """Remove temporary `path` if no writer holds its lock (`_owned_temporary`): its writer is provably gone.
    Links and special files are never a temporary of ours: left alone (opening a FIFO does not wait)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return  # gone meanwhile, a link, or unreadable
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # its writer is alive
        if _is_file_of(fd, path):
            _remove(path)
    finally:
        os.close(fd)


@contextlib.contextmanager
def new_folder(final: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """`atomic_path(final, directory=True)` under `output_lock(final)`; unless `overwrite`, `final`
    must be absent or an empty folder (checked under the lock, so two writers cannot both pass)."""
    with output_lock(final):
        real = Path(os.path.realpath(final))
        if not overwrite and real.is_dir() and any(real.iterdir()):
            raise SynfaceError(f"{final}: output exists and is not an empty folder")
        with atomic_path(final, directory=True, overwrite=overwrite) as tmp:
            yield tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(final: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    with atomic_path(final) as tmp:
        tmp.write_text(text)
