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
import time
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


def _write_line(fd: int, data: bytes) -> None:
    """Write a whole line or nothing (see `_write_all`)."""
    _write_all(fd, [data])


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


def heal_cut_tail(folder: Path, check: ChainCheck) -> bool:
    """Cut off a last line left half-written (a disk that filled up, a power cut).

    Only bytes after the last newline of the last segment are removed, and only
    when everything before them is a valid chain: a line that was never whole
    was never part of the log. The cut bytes are kept beside the log
    (``custody/cut-<segment>``) for whoever wants to look. True if healed.
    """
    segs = segments(folder)
    if not check.problem.endswith("the last line is cut off") or not segs:
        return False
    last = segs[-1]
    if not check.problem.startswith(last.name + ":"):
        return False
    try:
        data = last.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep == len(data):
            return False
        aside = folder / f"cut-{last.stem}-{len(data)}"
        with open(aside, "wb") as f:
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


def _append_bytes(path: Path, source: BinaryIO) -> None:
    """Append what is left in `source` to `path`, then fsync it: all or nothing.

    A short write (a full disk) is undone, so a copy never ends in half a line.
    """
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        _write_all(fd, iter(lambda: source.read(CHUNK), b""))
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
                 head_hint: Path | None = None, *, read_only: bool = False,
                 live_writer: bool = False) -> None:
        self.folders = list(folders)
        self.plugin_versions = dict(sorted((plugin_versions or {}).items()))
        self.head_hint = head_hint
        self.read_only = read_only
        self.live_writer = live_writer  # read-only, while another process writes
        self.guard: Callable[[], None] | None = None  # called before each line (the lock)
        self.healed: dict[Path, str] = {}
        hint = _read_hint(head_hint)
        mark = hint[0] if hint else 0
        checks = {p: check_chain(p, mark=mark) for p in self.folders}
        if not read_only:
            for p in self.folders:
                if heal_cut_tail(p, checks[p]):
                    self.healed[p] = checks[p].problem
                    checks[p] = check_chain(p, mark=mark)
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
        #: each replica's copy as read at open: what a read-only command reports on
        self.snapshot: dict[Path, tuple[str, str, int]] = {}
        for folder in self.folders:
            if folder == self.best:
                problem = checks[folder].problem
                if problem and not (live_writer and problem.endswith("the last line is cut off")):
                    self.snapshot[folder] = ("problem", problem, self._seq)
                else:
                    self.snapshot[folder] = ("", "", self._seq)
                continue
            if read_only:
                self.snapshot[folder] = self._snapshot_state(folder, checks[folder])
                kind, detail, _ = self.snapshot[folder]
                if kind in ("problem", "differs"):
                    self.damaged[folder] = detail
                continue  # a read-only open never writes: no catching up
            if checks[folder].problem:
                self.damaged[folder] = checks[folder].problem
                continue
            state = compare(folder, self.best) if self.best else ""
            if state == "differs":
                self.damaged[folder] = "differs from the other replicas' log"
            elif state == "behind":
                try:
                    sync_from(folder, self.best)
                except OSError as exc:  # full, or gone: it catches up another time
                    self.damaged[folder] = f"could not catch up ({exc.strerror})"
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
        #: called with (seq, head) once lines are durable: the case keeps head records
        self.on_synced: Callable[[int, str], None] | None = None

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

    def _snapshot_state(self, folder: Path, check: ChainCheck) -> tuple[str, str, int]:
        """How one replica's copy stands against the head read at open (read-only).

        With a writer at work, a copy may lag by the line being written, or end
        in half of it: it is read again for up to a second before that counts.
        """
        best = LogLines(self.best, self._seq)  # the head read at open, from its copy
        for attempt in range(11):
            mine = check.lines
            in_flight = self.live_writer and (
                not check.problem or check.problem.endswith("the last line is cut off"))
            if check.problem and not in_flight:
                return "problem", check.problem, len(mine)
            first = next((i + 1 for i, (a, b) in enumerate(zip(mine, best, strict=False)) if a != b), 0)
            if first:  # streamed side by side: the lines stay on disk
                return "differs", f"differs from the other replicas' log from line {first} on", \
                    len(mine)
            if len(mine) >= len(best):
                return "", "", len(mine)
            if not self.live_writer or attempt == 10:
                break
            time.sleep(0.1)
            check = check_chain(folder)
        if check.problem:
            return "problem", check.problem, len(check.lines)
        return "behind", f"{len(best) - len(check.lines)} lines behind", len(check.lines)

    def replica_state(self, folder: Path) -> tuple[str, str, int]:
        """("", "", lines) for a good copy, or ("problem" | "differs" | "behind", why, lines).

        Read-only: as read at open (the head at start), so a writer at work
        never shows as a problem. Otherwise read now.
        """
        if self.read_only and folder in self.snapshot:
            return self.snapshot[folder]
        check = check_chain(folder)
        if check.problem:
            return "problem", check.problem, len(check.lines)
        state = compare(folder, self.best) if self.best and folder != self.best else ""
        if state == "differs":
            assert self.best is not None
            return "differs", ("differs from the other replicas' log from line "
                               f"{first_difference(folder, self.best)} on"), len(check.lines)
        if state == "behind":
            return "behind", f"{self.seq - len(check.lines)} lines behind", len(check.lines)
        return "", "", len(check.lines)

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
        if self.read_only:
            raise RuntimeError("a case opened read-only never writes to the custody log")
        if self.guard is not None:
            self.guard()
        if self._segment is None:
            self._segment = f"{self.seq + 1:010d}.jsonl"
        written = 0
        errnos: list[int] = []
        for folder in self.writable:
            try:
                if not folder.parent.is_dir():
                    raise FileNotFoundError(2, "the replica's folder is gone")
                _write_line(self._segment_fd(folder), line + b"\n")
                written += 1
            except OSError as exc:
                self.damaged[folder] = f"could not be written ({exc.strerror})"
                self._drop_fd(folder)
                errnos.append(exc.errno or 0)
        self.writable = [p for p in self.writable if p not in self.damaged]
        if not written and self.folders:
            code = errnos[0] if errnos and len(set(errnos)) == 1 else 0
            raise OSError(code, "the custody log could not be written to any replica"
                          + (f" ({os.strerror(code)})" if code else ""))
        self._seq += 1
        self._head = line_hash(line)
        self._unsynced = True
        if self.best is None and self.writable:
            self.best = self.writable[0]

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
        if self.on_synced is not None and self.lines:
            self.on_synced(self.seq, self.head)

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
            try:
                sync_from(folder, self.best)
            except OSError as exc:
                self.damaged[folder] = f"could not catch up ({exc.strerror})"
                return
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
