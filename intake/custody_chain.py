"""Reading a custody log back and checking its chain: each line's link to the one
before, its sequence number, and its JSON read exactly as the standard library
reads it. Nothing here writes; `intake.custody` is the writer.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Any

import msgspec
import orjson

from .custody_copies import FolderLog, ReplicaLog, log_copy, read_lines

GENESIS = "0" * 64


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_RUN = b"0" * 19


def _maybe_big_integer(data: bytes) -> bool:
    """Whether `data` may hold an integer beyond 64 bits, which orjson reads as a float:
    20 digits or more in a row, or 19 after a minus, that are not a float's (no "." just
    before, no ".", "e" or "E" just after). Found with C-speed scans (a regular
    expression cost seconds over a case's metadata); a false alarm only costs a slower
    parse. A time in nanoseconds has 19 digits, which orjson reads exactly."""
    shape = data.translate(_DIGITS)  # every digit is "0"; nothing else is
    end = len(shape)
    pos = shape.find(_RUN)
    while pos != -1:
        stop = pos + 19
        while stop < end and shape[stop] == 48:
            stop += 1
        before = shape[pos - 1] if pos else 0
        after = shape[stop] if stop < end else 0
        if before != 46 and after not in (46, 101, 69) and (
                stop - pos >= 20 or before == 45):  # 46 ".", 101 "e", 69 "E", 45 "-"
            return True
        pos = shape.find(_RUN, stop)
    return False


def parse_line(line: bytes) -> Any:
    """One custody line (or metadata file) as JSON, exactly what ``json.loads`` gives, a
    few times faster (verify reads every line of every replica): orjson, except for what
    it refuses or reads otherwise (NaN; an integer beyond 64 bits: the standard library).
    :raises ValueError: not JSON at all."""
    if not _maybe_big_integer(line):
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass
    return json.loads(line)


class _Link(msgspec.Struct):
    prev: Any = None
    seq: Any = None


_LINK = msgspec.json.Decoder(_Link)


def link_of(line: bytes) -> tuple[bool, Any, Any]:
    """(is it a JSON object, its "prev", its "seq"), exactly as from ``json.loads``.

    The chain check needs only these two fields of every line of every replica:
    msgspec reads them and checks the rest is JSON without making it Python
    objects (a tenth of the CPU of parsing the line). Only for an ASCII line,
    which msgspec reads as strictly as the standard library or more (no
    encodings to guess, no invalid UTF-8 to let through); whatever it refuses
    (NaN, a lone surrogate, not an object) goes the plain way, which decides.
    :raises ValueError: not JSON at all."""
    if line.isascii():
        try:
            got = _LINK.decode(line)
        except msgspec.DecodeError:
            pass
        else:
            return True, got.prev, got.seq
    record = parse_line(line)
    if not isinstance(record, dict):
        return False, None, None
    return True, record.get("prev"), record.get("seq")


class LogLines(Sequence[bytes]):
    """The first lines of a custody log, read from its segments when asked for.

    The log grows with every step; holding its lines in memory made a watcher
    grow by kilobytes per file without end (issue 9, point 10). Length and
    truth cost nothing, iteration streams from disk, an index reads up to its
    line. `count` is a number or a function giving the current number.
    """

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, folder: Callable[[], Any] | Any,
                 count: Callable[[], int] | int) -> None:
        self._folder = folder
        self._count = count

    def _where(self) -> Any:
        return self._folder() if callable(self._folder) and not isinstance(
            self._folder, FolderLog | ReplicaLog) else self._folder

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


def check_chain(where: Any, mark: int = 0) -> ChainCheck:
    """Read every segment of a custody log and check each line's link to the one before.

    Streams: memory does not grow with the log. `mark` names a line whose hash
    is kept (the head this machine last wrote, to choose between copies).
    """
    folder = log_copy(where)
    prev = GENESIS
    n = 0
    last, marked = b"", ""

    def result(problem: str = "", line: int = 0) -> ChainCheck:
        return ChainCheck(LogLines(folder, n), problem, line, last, marked)

    try:
        names = folder.segments()
    except OSError as exc:
        return result(f"the custody log cannot be read ({exc.strerror})", 1)
    for seg in names:
        if seg != f"{n + 1:010d}.jsonl":
            return result(f"{seg} does not start at line {n + 1} "
                          "(a segment is missing or was renamed)", n + 1)
        try:
            with folder.open(seg) as f:
                for raw in f:
                    if not raw.endswith(b"\n"):
                        return result(f"{seg}: the last line is cut off", n + 1)
                    line = raw[:-1]
                    try:
                        is_object, linked, seq = link_of(line)
                    except ValueError:
                        return result(f"{seg}: line {n + 1} is not valid JSON "
                                      "(altered or damaged)", n + 1)
                    if not is_object or linked != prev:
                        return result(f"{seg}: line {n + 1} does not link to line {n} "
                                      "(a line was altered, removed or inserted)", n + 1)
                    if seq != n + 1:
                        return result(f"{seg}: line {n + 1} has sequence number "
                                      f"{seq}", n + 1)
                    n += 1
                    last, prev = line, line_hash(line)
                    if n == mark:
                        marked = prev
        except OSError as exc:
            return result(f"{seg} cannot be read ({exc.strerror})", n + 1)
    return result()


def fingerprint(copy: Any) -> tuple | None:
    """What a folder copy's segments are on disk: name, size, inode, modification and
    change times (ns) of each. The kernel sets the change time on every write, rename
    or chmod; equal fingerprints mean no segment was touched in between. None for a
    copy that has none (a bucket's pieces) or cannot be read."""
    if not isinstance(copy, FolderLog):
        return None
    try:
        out = []
        for name in copy.segments():
            st = os.stat(copy.folder / name)
            out.append((name, st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
        return tuple(out)
    except OSError:
        return None


def records(lines: Iterable[bytes]) -> list[dict[str, Any]]:
    return [parse_line(line) for line in lines]
