"""Atomic replacement of output files and output directories.

A nightly run that crashes, or is killed, half-way through writing must leave the previous
outputs intact. Files are written to a temporary sibling, fsynced and moved into place with
``os.replace``. A whole output directory is built next to its destination and swapped in with
Linux ``renameat2(RENAME_EXCHANGE)``, which exchanges both names in one atomic step.

Only the Linux path is fully atomic. Where ``renameat2`` is unavailable (other systems, old
kernels or filesystems without ``RENAME_EXCHANGE``) the swap falls back to two renames; a crash
between them leaves the destination missing but its previous contents in a backup directory,
which :func:`cleanup_stale_temp` moves back into place.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import functools
import logging
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

__all__ = [
    "atomic_directory",
    "atomic_file",
    "cleanup_stale_temp",
]

logger = logging.getLogger(__name__)

_AT_FDCWD: Final = -100
_RENAME_EXCHANGE: Final = 1 << 1
# Errors meaning "this system cannot exchange", not "this exchange failed".
_NO_EXCHANGE_ERRNOS: Final = frozenset(
    {errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP}
)

_Renameat2 = Callable[[int, bytes, int, bytes, int], int]


@contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Yield a binary file that replaces ``path`` atomically when the block exits normally.

    The data is flushed and fsynced before ``os.replace``, and the directory entry is fsynced
    after it, so neither a crash nor a power loss leaves a truncated file under ``path``. If the
    block raises, the temporary file is removed and ``path`` is left as it was.
    """
    target = Path(path)
    temp = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    handle = open(temp, "xb")  # noqa: SIM115 - closed below on every path
    try:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temp, target)
    except BaseException:
        handle.close()
        temp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


@contextmanager
def atomic_directory(dest: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh directory whose contents replace ``dest`` atomically on normal exit.

    The temporary directory ``.{dest.name}.tmp-<pid>-<random>`` lies next to ``dest`` (same
    filesystem, so renames are atomic). On normal exit its files are fsynced and it takes the
    place of ``dest``; the previous contents are deleted afterwards. If the block raises, the
    temporary directory is removed, ``dest`` stays untouched and the exception propagates.
    Leftovers of killed runs are removed first (:func:`cleanup_stale_temp`).

    A symlink ``dest`` is followed: the directory it points to is replaced, the link is kept.

    Raises:
        NotADirectoryError: ``dest`` exists and is not a directory.
    """
    target = Path(os.path.realpath(dest))
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "output destination is not a directory", str(dest))
    target.parent.mkdir(parents=True, exist_ok=True)
    cleanup_stale_temp(target)
    temp = _make_temp_dir(target)
    try:
        yield temp
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    _fsync_tree(temp)
    _swap_into_place(temp, target)
    _fsync_directory(target.parent)


def cleanup_stale_temp(dest: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary directories that killed runs left next to ``dest``; return them.

    Directories of processes that are still alive (a concurrent run) are kept. If ``dest`` is
    missing because a non-atomic fallback swap was interrupted, its backup is moved back first.
    """
    target = Path(os.path.realpath(dest))
    parent = target.parent
    if not parent.is_dir():
        return []
    siblings = sorted(parent.iterdir())  # not glob: the name may contain "[" or "*"
    backups = [p for p in siblings if p.name.startswith(f".{target.name}.old-")]
    if backups and not target.exists():
        os.rename(backups.pop(), target)
        logger.warning("restored previous outputs from an interrupted swap")
    removed: list[Path] = []
    temps = [p for p in siblings if p.name.startswith(f".{target.name}.tmp-")]
    for leftover in [*temps, *backups]:
        if _owner_alive(leftover):
            continue
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    if removed:
        logger.info("removed %d stale temporary outputs", len(removed))
    return removed


# --- internals -------------------------------------------------------------------------------


def _make_temp_dir(target: Path) -> Path:
    """Create ``.{name}.tmp-<pid>-<random>``; ``os.mkdir`` applies the umask, unlike mkdtemp."""
    while True:
        candidate = target.with_name(f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate


def _owner_alive(leftover: Path) -> bool:
    """Whether the pid in ``.{name}.tmp-<pid>-<random>`` belongs to a running process."""
    try:
        pid = int(leftover.name.rsplit("-", 2)[-2])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True  # possibly an atomic_directory block still open in this very process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _swap_into_place(temp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(temp, target)
        return
    if _exchange(temp, target):
        shutil.rmtree(temp)  # now holds the previous contents
        return
    backup = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, backup)
    try:
        os.rename(temp, target)
    except BaseException:
        os.rename(backup, target)
        raise
    shutil.rmtree(backup)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths atomically; False when this system cannot (caller falls back)."""
    renameat2 = _load_renameat2()
    if renameat2 is None:
        return False
    result = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE_ERRNOS:
        logger.info("renameat2(RENAME_EXCHANGE) unsupported (errno %d); non-atomic swap", code)
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))


@functools.cache
def _load_renameat2() -> _Renameat2 | None:
    """``renameat2`` from the C library (glibc >= 2.28), or None where there is none."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        function = libc.renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    function.restype = ctypes.c_int
    return function


def _fsync_tree(root: Path) -> None:
    """Make everything the caller wrote durable before it becomes visible under ``dest``."""
    for directory, _subdirs, files in os.walk(root):
        for file_name in files:
            file_path = os.path.join(directory, file_name)
            if os.path.islink(file_path):
                continue
            fd = os.open(file_path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_directory(Path(directory))


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):  # some filesystems refuse fsync on directories
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
