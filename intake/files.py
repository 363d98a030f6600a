"""Writing and hashing files, one way for every writer.

A file is written whole or not at all: to a temporary name beside it
(``.<name>.<random>.tmp``, which ``intake repair`` and a writer's start clean
up in a replica), fsynced, then renamed over the final name, and the folder is
fsynced so the rename survives a power cut. Readable by the owner only.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import mmap
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any


def fsync_dir(path: str | Path) -> None:
    """Make a rename in `path` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: str | Path, data: bytes | Iterable[bytes], *, read_only: bool = False,
                 suffix: str = ".tmp", durable: bool = True) -> None:
    """Write `data` (bytes, or pieces of bytes written as they come) to `path` whole
    or not at all (owner-only; read-only if asked).

    :param suffix: the temporary name's ending (``.part`` in an inbox, which the
        watcher skips until the rename).
    :param durable: fsync the file and its folder now; False inside a group
        commit, whose barrier makes it durable later (``intake.recording``).
    """
    path = os.fspath(path)  # text, not pathlib: this runs for every metadata file
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}{suffix}")
    # made read-only at once where asked (the descriptor still writes): no chmod after
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400 if read_only else 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            if isinstance(data, bytes | bytearray | memoryview):
                f.write(data)
            else:
                f.writelines(data)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    if durable:
        fsync_dir(folder or ".")


def fsync_path(path: Path) -> None:
    """fsync a file or folder by name (a barrier over files written earlier)."""
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def has_syncfs() -> bool:
    """Does this platform have ``syncfs`` (`syncfs` never returns False here)?"""
    return _libc() is not None


def syncfs(path: Path) -> bool:
    """Flush the whole file system holding `path` (Linux ``syncfs``); False where
    the platform has none, so the caller fsyncs file by file instead."""
    libc = _libc()
    if libc is None:
        return False
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if libc.syncfs(fd) != 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)
    return True


#: ``sync_file_range`` flags (linux/fs.h): wait for earlier writes of the range,
#: start writing it, wait until it is written
SYNC_FILE_RANGE_WAIT_BEFORE, SYNC_FILE_RANGE_WRITE, SYNC_FILE_RANGE_WAIT_AFTER = 1, 2, 4


def has_sync_file_range() -> bool:
    """Can a range of a file be pushed to the device (Linux ``sync_file_range``)?"""
    libc = _libc()
    return libc is not None and hasattr(libc, "sync_file_range")


def sync_file_range(fd: int, offset: int, nbytes: int, wait: bool = True) -> None:
    """Push [offset, offset + nbytes) of a file to the device and wait until it is
    written (data only: no metadata, no device cache flush; the fsync after does
    those). Python's ``os`` has no such call; Linux's C library has.

    :param wait: False only starts the writing (the device gets to work while
        the caller goes on); a later call with True waits for it.
    """
    libc = _libc()
    flags = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER \
        if wait else SYNC_FILE_RANGE_WRITE
    if libc.sync_file_range(fd, offset, nbytes, flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


_LIBC: list[Any] = []


def _libc() -> Any:
    if not _LIBC:
        lib = None
        if sys.platform.startswith("linux"):
            try:
                lib = ctypes.CDLL(None, use_errno=True)
                lib.syncfs.argtypes = [ctypes.c_int]
                try:
                    lib.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64,
                                                    ctypes.c_int64, ctypes.c_uint]
                except AttributeError:  # an old C library: whole-file re-read instead
                    pass
            except (OSError, AttributeError):
                lib = None
        _LIBC.append(lib)
    return _LIBC[0]


def sha256_from_disk(path: Path) -> str:
    """SHA-256 of what the disk holds, not of what memory still caches.

    A copy read back from the page cache would prove nothing about the disk.
    Where the system has it, the file is read with ``O_DIRECT`` (from the
    device into an aligned buffer, past the cache: also the cheapest read in
    CPU); where O_DIRECT is refused (tmpfs, some network file systems) the
    file's cached pages are dropped first (``posix_fadvise(DONTNEED)``; after
    an fsync they are clean, so the kernel lets them go) and it is read as
    usual. Without either (macOS, Windows) it is read as usual.
    """
    direct = getattr(os, "O_DIRECT", 0)
    if direct:
        try:
            fd = os.open(path, os.O_RDONLY | direct)
        except OSError:
            pass
        else:
            try:
                return _sha256_direct(fd)
            except OSError as exc:
                if exc.errno != errno.EINVAL:  # a read error is the disk's answer
                    raise
                # refused (the file system takes no O_DIRECT reads): the other way below
            finally:
                os.close(fd)
    with open(path, "rb") as f:
        if hasattr(os, "posix_fadvise"):
            os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        return hashlib.file_digest(f, "sha256").hexdigest()


#: O_DIRECT reads go into a page-aligned buffer of at most this size
DIRECT_BUFFER = 1 << 20


def _sha256_direct(fd: int) -> str:
    # page-aligned, as O_DIRECT wants, and no bigger than the file needs: the
    # kernel faults in and pins every page of the buffer a read is given, so a
    # megabyte for a 3 KB photo cost 1.4 ms of CPU per copy (bench/profile-notes.md)
    size = os.fstat(fd).st_size
    buf = mmap.mmap(-1, min(DIRECT_BUFFER, (size // mmap.PAGESIZE + 1) * mmap.PAGESIZE))
    try:
        view = memoryview(buf)
        h = hashlib.sha256()
        while n := os.readv(fd, [buf]):
            h.update(view[:n])
        view.release()
        return h.hexdigest()
    finally:
        buf.close()


def read_direct(fd: int, start: int, end: int, take: Callable[[memoryview], object]) -> int:
    """Read [start, end) of a file opened with ``O_DIRECT`` (start aligned to a page),
    handing each piece to `take`; returns how many bytes were read (fewer at the
    end of the file). The pieces are views of one buffer: `take` must use them at
    once (``hashlib``'s ``update`` does)."""
    buf = mmap.mmap(-1, min(DIRECT_BUFFER, ((end - start) // mmap.PAGESIZE + 1) * mmap.PAGESIZE))
    view = memoryview(buf)
    pos = start
    try:
        while pos < end:
            want = min(len(buf), end - pos)
            want = -(-want // mmap.PAGESIZE) * mmap.PAGESIZE  # whole pages, as O_DIRECT wants
            n = os.preadv(fd, [view[:want]], pos)
            if not n:
                break
            n = min(n, end - pos)
            take(view[:n])
            pos += n
    finally:
        view.release()
        buf.close()
    return pos - start


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in chunks (a file may be a 4 GB video)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
