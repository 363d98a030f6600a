"""The custody log: one JSON line per step, each carrying the hash of the one before.

Written through structlog: a processor adds the sequence number, the tool's
version and the SHA-256 of the previous line; the JSON renderer sorts keys;
the "logger" appends the line to the log in every available replica and
fsyncs it. A replica that was absent catches up (the lines it lacks are
appended) as soon as it is back. Any single replica's log is enough to
rebuild the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice, zip_longest
from pathlib import Path
from typing import Any, BinaryIO

import structlog

from . import __version__

GENESIS = "0" * 64


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


SEGMENT_GLOB = "*.jsonl"
CHUNK = 1 << 20  # bytes read at a time when comparing or copying segments


def segments(folder: Path) -> list[Path]:
    """The log's segment files in order (named by the number of their first line)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(SEGMENT_GLOB) if p.is_file())


def read_lines(folder: Path) -> Iterator[bytes]:
    """Every line of a log's segments, in order, without its newline (streamed)."""
    for seg in segments(folder):
        with open(seg, "rb") as f:
            for line in f:
                yield line.rstrip(b"\n")


class LogLines(Sequence[bytes]):
    """The first lines of a custody log, read from its segments when asked for.

    The log grows with every step; holding its lines in memory made a watcher
    grow by kilobytes per file without end (issue 9, point 10). Length and
    truth cost nothing, iteration streams from disk, an index reads up to its
    line. `count` is a number or a function giving the current number.
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, folder: Callable[[], Path | None] | Path | None,
                 count: Callable[[], int] | int) -> None:
        self._folder = folder
        self._count = count

    def _where(self) -> Path | None:
        return self._folder() if callable(self._folder) else self._folder

    def __len__(self) -> int:
        return self._count() if callable(self._count) else self._count

    def __iter__(self) -> Iterator[bytes]:
        n, folder = len(self), self._where()
        if n and folder is not None:
            yield from islice(read_lines(folder), n)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return list(self)[i]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("custody line out of range")
        return next(islice(iter(self), i, None))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    def __repr__(self) -> str:
        return f"<{len(self)} custody lines in {self._where()}>"


@dataclass
class ChainCheck:
    """The result of reading one replica's copy of the log (all its segments).

    Only the count, the last line and one asked-for line are kept; `lines`
    reads the valid prefix again from disk when it is used.
    """

    lines: LogLines  # the valid prefix
    problem: str = ""  # empty when every segment is a valid chain
    problem_line: int = 0  # 1-based line number (over the whole log) of the first bad line
    last: bytes = b""  # the last valid line
    marked: str = ""  # the hash of line `mark` (check_chain's argument), when it is valid

    @property
    def head(self) -> str:
        return line_hash(self.last) if self.lines else GENESIS


def check_chain(folder: Path, mark: int = 0) -> ChainCheck:
    """Read every segment of a custody log and check each line's link to the one before.

    Streams: memory does not grow with the log. `mark` names a line whose hash
    is kept (the head this machine last wrote, to choose between copies).
    """
    prev = GENESIS
    n = 0
    last, marked = b"", ""

    def result(problem: str = "", line: int = 0) -> ChainCheck:
        return ChainCheck(LogLines(folder, n), problem, line, last, marked)

    for seg in segments(folder):
        if seg.name != f"{n + 1:010d}.jsonl":
            return result(f"{seg.name} does not start at line {n + 1} "
                          "(a segment is missing or was renamed)", n + 1)
        try:
            with open(seg, "rb") as f:
                for raw in f:
                    if not raw.endswith(b"\n"):
                        return result(f"{seg.name}: the last line is cut off", n + 1)
                    line = raw[:-1]
                    try:
                        record = json.loads(line)
                    except ValueError:
                        return result(f"{seg.name}: line {n + 1} is not valid JSON "
                                      "(altered or damaged)", n + 1)
                    if not isinstance(record, dict) or record.get("prev") != prev:
                        return result(f"{seg.name}: line {n + 1} does not link to line {n} "
                                      "(a line was altered, removed or inserted)", n + 1)
                    if record.get("seq") != n + 1:
                        return result(f"{seg.name}: line {n + 1} has sequence number "
                                      f"{record.get('seq')}", n + 1)
                    n += 1
                    last, prev = line, line_hash(line)
                    if n == mark:
                        marked = prev
        except OSError as exc:
            return result(f"{seg.name} cannot be read ({exc.strerror})", n + 1)
    return result()


def _prefix_state(mine: Path, theirs: Path) -> str:
    """"same", "prefix" (mine is a proper beginning of theirs) or "differs"; streamed."""
    size_a, size_b = mine.stat().st_size, theirs.stat().st_size
    if size_a > size_b:
        return "differs"
    with open(mine, "rb") as a, open(theirs, "rb") as b:
        while chunk := a.read(CHUNK):
            if b.read(len(chunk)) != chunk:
                return "differs"
    return "same" if size_a == size_b else "prefix"


def compare(folder: Path, best: Path) -> str:
    """How a valid copy of the log stands against the best one: "", "behind" or "differs"."""
    ours = {p.name: p for p in segments(folder)}
    theirs = segments(best)
    behind = False
    for seg in theirs:
        mine = ours.pop(seg.name, None)
        if mine is None:
            behind = True
            continue
        state = _prefix_state(mine, seg)
        if state == "same":
            continue
        if state == "prefix" and not behind:
            behind = True
            continue
        return "differs"
    if ours:
        return "differs"
    return "behind" if behind else ""


def sync_from(folder: Path, best: Path) -> None:
    """Make `folder`'s segments identical to `best`'s by appending what they lack."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for seg in segments(best):
        mine = folder / seg.name
        state = _prefix_state(mine, seg) if mine.is_file() else "prefix"
        if state == "same":
            continue
        if state == "differs":
            raise ValueError(f"{mine} differs from {seg}")
        have = mine.stat().st_size if mine.is_file() else 0
        with open(seg, "rb") as f:
            f.seek(have)
            _append_bytes(mine, f)


def _append_bytes(path: Path, source: BinaryIO) -> None:
    """Append what is left in `source` to `path`, then fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        while chunk := source.read(CHUNK):
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_hint(path: Path | None) -> tuple[int, str] | None:
    """(seq, head) of the last line this machine wrote, if it kept one."""
    if path is None:
        return None
    try:
        seq, head = path.read_text(encoding="ascii").split()
        return int(seq), head
    except (OSError, ValueError):
        return None


def first_difference(folder: Path, best: Path) -> int:
    """The 1-based number of the first line where two copies of the log differ."""
    n = 0
    for n, (a, b) in enumerate(zip_longest(read_lines(folder), read_lines(best)), 1):
        if a is None or b is None:
            return n
        if a != b:
            return n
    return n + 1


def records(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


class _ReplicaWriter:
    """structlog's "logger": appends each rendered line to every replica's log."""

    def __init__(self, log: CustodyLog) -> None:
        self.log = log

    def msg(self, message: str) -> None:
        self.log._append(message.encode("utf-8"))

    info = msg


class CustodyLog:
    """Append-only, hash-chained log kept in every available replica.

    Each replica keeps the log in ``custody/`` as segments: every process
    that writes starts a new segment named after the number of its first
    line, so a finished segment never changes again. On open, the longest
    valid chain among the replicas wins and copies that are behind catch up;
    a copy that is damaged is left alone (``intake verify`` reports it,
    ``intake repair`` replaces it).
    """

    def __init__(self, folders: list[Path], plugin_versions: dict[str, str] | None = None,
                 head_hint: Path | None = None) -> None:
        self.folders = list(folders)
        self.plugin_versions = dict(sorted((plugin_versions or {}).items()))
        self.head_hint = head_hint
        hint = _read_hint(head_hint)
        checks = {p: check_chain(p, mark=hint[0] if hint else 0) for p in self.folders}
        valid = [p for p in self.folders if not checks[p].problem]
        pool = valid or self.folders

        def rank(p: Path) -> tuple[bool, int]:
            # Two valid chains can differ only in lines a chain cannot check on its
            # own (the last ones). The head this machine last wrote decides which
            # copy is the true one, so an edited last line never wins by chance.
            agrees = hint is not None and checks[p].marked == hint[1]
            return agrees, len(checks[p].lines)

        self.best: Path | None = max(pool, key=rank, default=None)
        # only the count and the last hash are kept: the lines stay on disk (`lines`)
        self._seq = len(checks[self.best].lines) if self.best else 0
        self._head = checks[self.best].head if self.best else GENESIS
        self.damaged: dict[Path, str] = {}
        for folder in self.folders:
            if folder == self.best:
                continue
            if checks[folder].problem:
                self.damaged[folder] = checks[folder].problem
                continue
            state = compare(folder, self.best) if self.best else ""
            if state == "differs":
                self.damaged[folder] = "differs from the other replicas' log"
            elif state == "behind":
                sync_from(folder, self.best)
        self.writable = [p for p in self.folders if p not in self.damaged]
        self._segment: str | None = None
        self._fds: dict[Path, int] = {}
        self._unsynced = False
        self._logger = structlog.wrap_logger(
            _ReplicaWriter(self),
            processors=[self._chain, structlog.processors.JSONRenderer(sort_keys=True,
                                                                        ensure_ascii=False)],
            cache_logger_on_first_use=False,
        )
        self._versions_logged = False

    @property
    def head(self) -> str:
        return self._head

    @property
    def seq(self) -> int:
        return self._seq

    @property
    def lines(self) -> LogLines:
        """The log's lines so far, read from a replica's copy when used (never held)."""
        return LogLines(self._source, self.seq)

    def _source(self) -> Path | None:
        """A replica whose copy holds every line of this log (the best one while it is)."""
        if self.best in self.writable or not self.writable:
            return self.best
        return self.writable[0]

    def _chain(self, _logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict["seq"] = self.seq + 1
        event_dict["prev"] = self.head
        event_dict.setdefault("at", datetime.now(UTC).isoformat(timespec="milliseconds")
                              .replace("+00:00", "Z"))
        event_dict["tool"] = f"intake {__version__}"
        return event_dict

    def _segment_fd(self, folder: Path) -> int:
        """The open segment of this process in one replica (opened once, kept)."""
        fd = self._fds.get(folder)
        if fd is None:
            # never parents: a replica whose folder is gone (unplugged) must not be
            # made again on this computer's disk
            folder.mkdir(exist_ok=True, mode=0o700)
            fd = os.open(folder / self._segment, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            self._fds[folder] = fd
        return fd

    def _drop_fd(self, folder: Path) -> None:
        fd = self._fds.pop(folder, None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def _append(self, line: bytes) -> None:
        """Write one line to every replica now; it is made durable by `sync`."""
        if b"\n" in line:
            raise ValueError("a custody line cannot contain a newline")
        if self._segment is None:
            self._segment = f"{self.seq + 1:010d}.jsonl"
        written = 0
        for folder in self.writable:
            try:
                if not folder.parent.is_dir():
                    raise FileNotFoundError(2, "the replica's folder is gone")
                os.write(self._segment_fd(folder), line + b"\n")
                written += 1
            except OSError as exc:
                self.damaged[folder] = f"could not be written ({exc.strerror})"
                self._drop_fd(folder)
        self.writable = [p for p in self.writable if p not in self.damaged]
        self._seq += 1
        self._head = line_hash(line)
        self._unsynced = True
        if self.best is None and self.writable:
            self.best = self.writable[0]
        if not written and self.folders:
            raise OSError("the custody log could not be written to any replica")

    def sync(self) -> None:
        """Make every line written so far durable (fsync), in every replica.

        Called before an original leaves the inbox and when a case is closed:
        until then, the original is still in the inbox if the power fails.
        """
        if not self._unsynced:
            return
        for folder, fd in list(self._fds.items()):
            try:
                os.fsync(fd)
            except OSError as exc:
                self.damaged[folder] = f"could not be written ({exc.strerror})"
                self._drop_fd(folder)
        self.writable = [p for p in self.writable if p not in self.damaged]
        self._unsynced = False
        if self.head_hint is not None and self._seq:
            try:
                self.head_hint.write_text(f"{self.seq} {self.head}\n", encoding="ascii")
            except OSError:
                pass  # only a hint for choosing between disagreeing replicas

    def close(self) -> None:
        self.sync()
        for folder in list(self._fds):
            self._drop_fd(folder)

    def add_replica(self, folder: Path) -> None:
        """A replica came back: bring its log up to date and write to it from now on."""
        if folder in self.writable:
            return
        check = check_chain(folder)
        state = compare(folder, self.best) if self.best else ""
        if check.problem or state == "differs":
            self.damaged[folder] = check.problem or "differs from the other replicas' log"
            return
        if state == "behind" and self.best:
            sync_from(folder, self.best)
        if folder not in self.folders:
            self.folders.append(folder)
        self.damaged.pop(folder, None)
        self.writable.append(folder)

    def event(self, name: str, /, **fields: Any) -> str:
        """Append one line; returns its hash. The first line of a run names the plugins."""
        if not self._versions_logged and self.plugin_versions:
            self._versions_logged = True
            self._logger.info("session", plugins=self.plugin_versions)
        self._logger.info(name, **fields)
        return self.head
