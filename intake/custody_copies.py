"""One replica's copy of the custody log, read and appended to the same way for every kind.

`intake.custody` keeps the chain; this module keeps the bytes. A folder
replica's copy is a folder of segment files written through open file
descriptors (all or nothing per line, fsynced at `flush`); any other kind
(an S3 bucket) goes through the ``Replica`` protocol: the lines written since
the last `flush` are sent as one piece (``append_custody``), so a bucket gets
one request per sync, not per line.

Comparing two copies (`compare`, `sync_from`, `first_difference`) streams
them side by side: memory does not grow with the log.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Any, BinaryIO

SEGMENT_GLOB = "*.jsonl"
CHUNK = 1 << 20  # bytes read at a time when comparing or copying segments


def log_copy(where: Any) -> FolderLog | ReplicaLog:
    """The copy of the log kept by a replica (or in a folder, given as a Path)."""
    if isinstance(where, FolderLog | ReplicaLog):
        return where
    if isinstance(where, Path):
        return FolderLog(where)
    folder = getattr(where, "custody_path", None)  # a folder replica: its fast path
    return FolderLog(folder) if isinstance(folder, Path) else ReplicaLog(where)


def _write_all(fd: int, chunks: Iterable[bytes]) -> None:
    """Append every chunk, or nothing: a short write (a full disk) is undone.

    A line cut off in the middle would break the chain for every later line;
    the file is cut back to where the write began and the error is raised.
    """
    start = os.lseek(fd, 0, os.SEEK_END)
    try:
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                n = os.write(fd, view)
                if n <= 0:
                    raise OSError(28, os.strerror(28))
                view = view[n:]
    except OSError:
        try:
            os.ftruncate(fd, start)
        except OSError:
            pass
        raise


class FolderLog:
    """The log in a folder replica's ``custody/``: one file per segment."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._fds: dict[str, int] = {}

    def __repr__(self) -> str:
        return str(self.folder)

    def there(self) -> bool:
        """The replica's own folder is still there (a USB stick not pulled out)."""
        return self.folder.parent.is_dir()

    def segments(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.glob(SEGMENT_GLOB) if p.is_file())

    def size(self, name: str) -> int:
        return (self.folder / name).stat().st_size

    def open(self, name: str) -> BinaryIO:
        return open(self.folder / name, "rb")

    def append(self, name: str, data: bytes) -> None:
        """Write whole lines to this process's open segment; durable at `flush`."""
        fd = self._fds.get(name)
        if fd is None:
            # never parents: a replica whose folder is gone (unplugged) must not be
            # made again on this computer's disk
            self.folder.mkdir(exist_ok=True, mode=0o700)
            fd = os.open(self.folder / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._fds[name] = fd
        _write_all(fd, [data])

    def flush(self) -> None:
        for fd in self._fds.values():
            os.fsync(fd)

    def close(self) -> None:
        for fd in self._fds.values():
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = {}

    def append_stream(self, name: str, source: BinaryIO) -> None:
        """Append what is left in `source` to a segment and fsync it: all or nothing."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            _write_all(fd, iter(lambda: source.read(CHUNK), b""))
            os.fsync(fd)
        finally:
            os.close(fd)

    def heal(self, problem: str) -> bool:
        """Cut off a last line left half-written (a disk that filled up, a power cut).

        Only bytes after the last newline of the last segment are removed, and
        only when everything before them is a valid chain (`problem` says the
        last line is cut off): a line that was never whole was never part of the
        log. The cut bytes are kept beside the log (``custody/cut-<segment>``).
        """
        segs = self.segments()
        if not segs or not problem.startswith(segs[-1] + ":") \
                or not problem.endswith("the last line is cut off"):
            return False
        last = self.folder / segs[-1]
        try:
            data = last.read_bytes()
            keep = data.rfind(b"\n") + 1
            if keep == len(data):
                return False
            with open(self.folder / f"cut-{last.stem}-{len(data)}", "wb") as f:
                f.write(data[keep:])
                f.flush()
                os.fsync(f.fileno())
            fd = os.open(last, os.O_WRONLY)
            try:
                os.ftruncate(fd, keep)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            return False
        return True


class ReplicaLog:
    """The log kept by any replica kind through the protocol (``read_custody``,
    ``append_custody``): lines wait in memory until `flush` sends them as one piece."""

    def __init__(self, replica: Any) -> None:
        self.replica = replica
        self._held: dict[str, bytes] = {}
        self._pending: dict[str, bytearray] = {}

    def __repr__(self) -> str:
        return f"replica {self.replica.name}"

    def there(self) -> bool:
        return self.replica.health() is None

    def segments(self) -> list[str]:
        """Read the copy afresh (what is held, plus lines not sent yet)."""
        held = dict(self.replica.read_custody())
        for name, data in self._pending.items():
            held[name] = held.get(name, b"") + bytes(data)
        self._held = held
        return sorted(held)

    def _bytes(self, name: str) -> bytes:
        if name not in self._held:
            self.segments()
        if name not in self._held:
            raise FileNotFoundError(2, "no such custody segment", name)
        return self._held[name]

    def size(self, name: str) -> int:
        return len(self._bytes(name))

    def open(self, name: str) -> BinaryIO:
        return io.BytesIO(self._bytes(name))

    def append(self, name: str, data: bytes) -> None:
        self._pending.setdefault(name, bytearray()).extend(data)

    def flush(self) -> None:
        """Send the lines written since the last flush (kept for the next try if it fails)."""
        for name in list(self._pending):
            self.replica.append_custody(name, bytes(self._pending[name]))
            del self._pending[name]

    def close(self) -> None:
        """Forget what was read and not sent: a copy that failed catches up from the others."""
        self._held = {}
        self._pending = {}

    def append_stream(self, name: str, source: BinaryIO) -> None:
        data = source.read()
        if data:
            self.replica.append_custody(name, data)

    def heal(self, problem: str) -> bool:
        return False  # pieces are sent whole: a copy never ends in half a line


def read_lines(where: Any) -> Iterator[bytes]:
    """Every line of a log's segments, in order, without its newline (streamed)."""
    copy = log_copy(where)
    for seg in copy.segments():
        with copy.open(seg) as f:
            for line in f:
                yield line.rstrip(b"\n")


def _prefix_state(mine: FolderLog | ReplicaLog, theirs: FolderLog | ReplicaLog, name: str) -> str:
    """"same", "prefix" (mine is a proper beginning of theirs) or "differs"; streamed."""
    size_a, size_b = mine.size(name), theirs.size(name)
    if size_a > size_b:
        return "differs"
    with mine.open(name) as a, theirs.open(name) as b:
        while chunk := a.read(CHUNK):
            if b.read(len(chunk)) != chunk:
                return "differs"
    return "same" if size_a == size_b else "prefix"


def compare(where: Any, best: Any) -> str:
    """How a valid copy of the log stands against the best one: "", "behind" or "differs"."""
    mine, theirs = log_copy(where), log_copy(best)
    ours = set(mine.segments())
    behind = False
    for seg in theirs.segments():
        if seg not in ours:
            behind = True
            continue
        ours.discard(seg)
        state = _prefix_state(mine, theirs, seg)
        if state == "same":
            continue
        if state == "prefix" and not behind:
            behind = True
            continue
        return "differs"
    if ours:
        return "differs"
    return "behind" if behind else ""


def sync_from(where: Any, best: Any) -> None:
    """Make a copy's segments identical to `best`'s by appending what they lack."""
    mine, theirs = log_copy(where), log_copy(best)
    held = set(mine.segments())
    for seg in theirs.segments():
        state = _prefix_state(mine, theirs, seg) if seg in held else "prefix"
        if state == "same":
            continue
        if state == "differs":
            raise ValueError(f"{mine} differs from {theirs} in {seg}")
        have = mine.size(seg) if seg in held else 0
        with theirs.open(seg) as f:
            f.seek(have)
            mine.append_stream(seg, f)


def first_difference(where: Any, best: Any) -> int:
    """The 1-based number of the first line where two copies of the log differ."""
    n = 0
    for n, (a, b) in enumerate(zip_longest(read_lines(where), read_lines(best)), 1):
        if a is None or b is None:
            return n
        if a != b:
            return n
    return n + 1
