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
import re
import secrets
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

__all__ = [
    "atomic_directory",
    "atomic_file",
    "cleanup_stale_temp",
    "directory_mode",
    "is_mount_point",
    "parse_file_mode",
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
def atomic_directory(
    dest: str | os.PathLike[str], *, file_mode: int | None = None
) -> Iterator[Path]:
    """Yield a fresh directory whose contents replace ``dest`` atomically on normal exit.

    The temporary directory ``.{dest.name}.tmp-<pid>-<random>`` lies next to ``dest`` (same
    filesystem, so renames are atomic). On normal exit its files are fsynced and it takes the
    place of ``dest``; the previous contents are deleted afterwards. If the block raises, or the
    swap itself fails (``dest`` is a mount point: EBUSY), the temporary directory is removed,
    ``dest`` stays untouched and the exception propagates. Leftovers of killed runs are removed
    first (:func:`cleanup_stale_temp`).

    The new directory takes over the mode, owner and group of ``dest`` (an office's 700
    root:lotsen stays so), given before anything is written into it; its files get that owner
    and group too, as far as the process may give them. ``file_mode`` (e.g. ``0o640``) sets
    the mode of every file, whatever the umask; a new ``dest`` then gets the matching
    directory mode (``0o750``).

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
        adopted = _take_over(temp, target, file_mode)
        yield temp
        _finish(temp, file_mode, adopted)
        _fsync_tree(temp)
        _swap_into_place(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)  # new outputs, or old ones after an exchange
        raise
    _fsync_directory(target.parent)


def directory_mode(file_mode: int) -> int:
    """The directory mode that matches a file mode: search wherever read is allowed."""
    return file_mode | ((file_mode & 0o444) >> 2)


def is_mount_point(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a mount point, bind mounts included (which ``os.path.ismount``
    misses when source and target lie on the same filesystem); Linux's mountinfo decides."""
    real = os.path.realpath(path)
    if os.path.ismount(real):
        return True
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as table:
            points = {_unescape_mount(line.split(" ")[4]) for line in table if line.count(" ") > 4}
    except OSError:
        return False
    return real in points


def _unescape_mount(field: str) -> str:
    """mountinfo writes space, tab, newline and backslash as octal escapes (``\\040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_file_mode(text: str) -> int:
    """An octal file mode such as ``"0640"``; the owner must be able to read and write.

    Raises:
        ValueError: not three or four octal digits, or the owner lacks read or write.
    """
    digits = text.strip().removeprefix("0o")
    if not (3 <= len(digits) <= 4 and all(c in "01234567" for c in digits)):
        raise ValueError(f"{text!r} is no file mode; write it in octal, e.g. 0640 or 0600")
    mode = int(digits, 8)
    if mode > 0o777:
        raise ValueError(f"{text!r}: only permission bits (at most 0777) are allowed")
    if mode & 0o600 != 0o600:
        raise ValueError(f"{text!r}: the owner must be able to read and write (0600 at least)")
    return mode


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


@dataclass(frozen=True)
class _Adopted:
    """What the new directory takes over from the one it replaces."""

    uid: int
    gid: int
    mode: int


def _take_over(temp: Path, target: Path, file_mode: int | None) -> _Adopted | None:
    """Give ``temp`` the owner, group and mode of ``target`` before anything is written.

    The owner keeps full access while the run writes (the exact mode is set by
    :func:`_finish`); group and others never get more than ``target`` gives them. For a new
    ``target`` only the directory mode matching ``file_mode`` is set, and None is returned.
    """
    try:
        info = target.stat()
    except FileNotFoundError:
        if file_mode is not None:
            os.chmod(temp, directory_mode(file_mode))
        return None
    adopted = _Adopted(info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode))
    if not _give_owner(temp, adopted):
        logger.warning(
            "cannot give the outputs the group of the output directory (gid %d); "
            "they keep the group of this process",
            adopted.gid,
        )
    os.chmod(temp, adopted.mode | stat.S_IRWXU)  # after chown, which may clear setgid
    return adopted


def _finish(root: Path, file_mode: int | None, adopted: _Adopted | None) -> None:
    """Set mode and owner of every file the caller wrote, then the directory's own mode."""
    for directory, _subdirs, files in os.walk(root):
        for file_name in files:
            path = Path(directory, file_name)
            if path.is_symlink():
                continue
            if adopted is not None:
                _give_owner(path, adopted)
            if file_mode is not None:
                os.chmod(path, file_mode)
    if adopted is not None:
        os.chmod(root, adopted.mode)


def _give_owner(path: Path, adopted: _Adopted) -> bool:
    """``chown`` to the adopted owner and group, else the group alone; False if neither."""
    info = path.stat()
    if (info.st_uid, info.st_gid) == (adopted.uid, adopted.gid):
        return True
    for uid in (adopted.uid, -1):
        try:
            os.chown(path, uid, adopted.gid)
        except PermissionError:
            continue
        return True
    return False


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
        shutil.rmtree(temp, ignore_errors=True)  # now holds the previous contents
        return
    backup = target.with_name(f".{target.name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, backup)
    try:
        os.rename(temp, target)
    except BaseException:
        os.rename(backup, target)
        raise
    shutil.rmtree(backup, ignore_errors=True)  # a leftover goes with the next cleanup


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
