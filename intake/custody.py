"""The custody log: one JSON line per step, each carrying the hash of the one before.

Written through structlog: a processor adds the sequence number, the tool's
version and the SHA-256 of the previous line; the JSON renderer sorts keys;
the "logger" appends the line to the log in every available replica and
fsyncs it. A replica that was absent catches up (the lines it lacks are
appended) as soon as it is back. Any single replica's log is enough to
rebuild the index. Each replica's copy is a `intake.custody_copies` log copy
(a folder of segments, or any kind through the ``Replica`` protocol): the
functions here take a replica, a copy, or a folder (a Path).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from . import __version__
from .custody_chain import (
    GENESIS,
    ChainCheck,
    LogLines,
    check_chain,
    fingerprint,
    line_hash,
)
from .custody_copies import (
    FolderLog,
    ReplicaLog,
    compare,
    first_difference,
    log_copy,
    sync_from,
)

Copy = FolderLog | ReplicaLog


def _read_hint(path: Path | None) -> tuple[int, str] | None:
    """(seq, head) of the last line this machine wrote, if it kept one."""
    if path is None:
        return None
    try:
        seq, head = path.read_text(encoding="ascii").split()
        return int(seq), head
    except (OSError, ValueError):
        return None


class _ReplicaWriter:
    """structlog's "logger": appends each rendered line to every replica's log."""

    def __init__(self, log: CustodyLog) -> None:
        self.log = log

    def msg(self, message: str) -> None:
        self.log._append(message.encode("utf-8"))

    info = msg


class CustodyLog:
    """Append-only, hash-chained log kept in every available replica.

    Each replica keeps the log as segments (``custody/`` of a folder, pieces
    in a bucket): every process that writes starts a new segment named after
    the number of its first line, so a finished segment never changes again.
    Replicas (or folders, as Paths) are the keys of `damaged`, `writable`... On open, the longest
    valid chain among the replicas wins and copies that are behind catch up;
    a copy that is damaged is left alone (``intake verify`` reports it,
    ``intake repair`` replaces it).
    """

    def __init__(self, folders: list[Any], plugin_versions: dict[str, str] | None = None,
                 head_hint: Path | None = None, *, read_only: bool = False,
                 live_writer: bool = False,
                 checked: dict[str, tuple[tuple, int, ChainCheck]] | None = None) -> None:
        self.folders = list(folders)
        self._copies: dict[Any, Copy] = {k: log_copy(k) for k in self.folders}
        self.plugin_versions = dict(sorted((plugin_versions or {}).items()))
        self.head_hint = head_hint
        self.read_only = read_only
        self.live_writer = live_writer  # read-only, while another process writes
        self.guard: Callable[[], None] | None = None  # called before each line (the lock)
        self.healed: dict[Any, str] = {}
        hint = _read_hint(head_hint)
        mark = hint[0] if hint else 0
        #: each folder copy's chain as checked here, with what its segments looked like
        #: before (see `fingerprint`): a later open in this process may take it over
        self.checked: dict[str, tuple[tuple, int, ChainCheck]] = {}
        checks = {p: self._check(self._copies[p], mark, checked) for p in self.folders}
        if not read_only:
            for p in self.folders:
                if self._copies[p].heal(checks[p].problem):
                    self.healed[p] = checks[p].problem
                    checks[p] = check_chain(self._copies[p], mark=mark)
        valid = [p for p in self.folders if not checks[p].problem]
        pool = valid or self.folders

        def rank(p: Any) -> tuple[bool, int, bool]:
            # Two valid chains can differ only in lines a chain cannot check on its
            # own (the last ones). The head this machine last wrote decides which
            # copy is the true one, so an edited last line never wins by chance.
            agrees = hint is not None and checks[p].marked == hint[1]
            # on a tie a folder's copy is read, not a bucket's (no download per read)
            return agrees, len(checks[p].lines), isinstance(self._copies[p], FolderLog)

        self.best: Any = max(pool, key=rank, default=None)
        # only the count and the last hash are kept: the lines stay on disk (`lines`)
        self._seq = len(checks[self.best].lines) if self.best else 0
        self._head = checks[self.best].head if self.best else GENESIS
        self.damaged: dict[Any, str] = {}
        #: each replica's copy as read at open: what a read-only command reports on
        self.snapshot: dict[Any, tuple[str, str, int]] = {}
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
            try:
                state = self._compare(folder)
                if state == "differs":
                    self.damaged[folder] = "differs from the other replicas' log"
                elif state == "behind":
                    sync_from(self._copies[folder], self._copies[self.best])
            except OSError as exc:  # full, or gone: it catches up another time
                self.damaged[folder] = f"could not catch up ({exc.strerror})"
        self.writable = [p for p in self.folders if p not in self.damaged]
        self._segment: str | None = None
        self._unsynced = False
        self._held: list[bytes] | None = None  # lines kept for a group commit
        self._held_from: tuple[int, str] = (0, GENESIS)
        self._before_release: Callable[[], None] | None = None
        self._logger = structlog.wrap_logger(
            _ReplicaWriter(self),
            processors=[self._chain, structlog.processors.JSONRenderer(sort_keys=True,
                                                                        ensure_ascii=False)],
            cache_logger_on_first_use=False,
        )
        self._versions_logged = False
        #: called with (seq, head) once lines are durable: the case keeps head records
        self.on_synced: Callable[[int, str], None] | None = None

    def _check(self, copy: Copy, mark: int,
               checked: dict[str, tuple[tuple, int, ChainCheck]] | None) -> ChainCheck:
        """check_chain, or the check an earlier open of this process made of the very same
        segments (`checked`: another log's `checked`; ``intake verify`` writes its
        "verified" line with the chains it has just checked, issue 19 point 6)."""
        seen = fingerprint(copy)
        if seen is None:
            return check_chain(copy, mark=mark)
        key = str(copy)
        before = (checked or {}).get(key)
        if before is not None and before[0] == seen and before[1] == mark:
            check = before[2]
        else:
            check = check_chain(copy, mark=mark)
        self.checked[key] = (seen, mark, check)
        return check

    @property
    def head(self) -> str:
        return self._head

    @property
    def seq(self) -> int:
        return self._seq

    @property
    def lines(self) -> LogLines:
        """The log's lines written so far, read from a replica's copy when used (never
        held in memory; lines a group commit holds are not written yet)."""
        return LogLines(self._source, lambda: self.seq - len(self._held or ()))

    def _source(self) -> Copy | None:
        """A replica's copy that holds every line of this log (the best one while it is)."""
        if self.best in self.writable or not self.writable:
            return None if self.best is None else self._copies[self.best]
        return self._copies[self.writable[0]]

    def copy_of(self, replica: Any) -> Copy:
        """This log's copy in a replica, with the lines written and not yet synced."""
        return self._copies.get(replica) or log_copy(replica)

    def _compare(self, key: Any) -> str:
        if self.best is None or key == self.best:
            return ""
        return compare(self._copies[key], self._copies[self.best])

    def _snapshot_state(self, folder: Any, check: ChainCheck) -> tuple[str, str, int]:
        """How one replica's copy stands against the head read at open (read-only).

        With a writer at work, a copy may lag by the line being written, or end
        in half of it: it is read again for up to a second before that counts.
        """
        best = LogLines(self._copies[self.best], self._seq)  # the head read at open
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
            check = check_chain(self._copies[folder])
        if check.problem:
            return "problem", check.problem, len(check.lines)
        return "behind", f"{len(best) - len(check.lines)} lines behind", len(check.lines)

    def replica_state(self, folder: Any) -> tuple[str, str, int]:
        """("", "", lines) for a good copy, or ("problem" | "differs" | "behind", why, lines).

        Read-only: as read at open (the head at start), so a writer at work
        never shows as a problem. Otherwise read now.
        """
        if self.read_only and folder in self.snapshot:
            return self.snapshot[folder]
        copy = self._copies.get(folder) or log_copy(folder)
        check = check_chain(copy)
        if check.problem:
            return "problem", check.problem, len(check.lines)
        state = self._compare(folder) if folder in self._copies else ""
        if state == "differs":
            return "differs", ("differs from the other replicas' log from line "
                               f"{first_difference(copy, self._copies[self.best])} on"), \
                len(check.lines)
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

    def _drop(self, key: Any) -> None:
        try:
            self._copies[key].close()
        except OSError:
            pass

    def hold(self, before_release: Callable[[], None]) -> None:
        """Keep new lines in memory until the next `sync` (group commit, issue 19).

        `sync` then calls `before_release` (which makes the replicas' metadata
        files durable) before it writes the held lines, so no line reaches a
        disk before the files it vouches for, even after a power cut.
        """
        if self._held is None:
            self._held = []
            self._held_from = (self._seq, self._head)
        self._before_release = before_release

    def _append(self, line: bytes) -> None:
        """Write one line to every replica now (or hold it); it is made durable by `sync`."""
        if b"\n" in line:
            raise ValueError("a custody line cannot contain a newline")
        if self.read_only:
            raise RuntimeError("a case opened read-only never writes to the custody log")
        if self._held is not None:  # the lock is checked once, when they are written
            self._held.append(line)
            self._seq += 1
            self._head = line_hash(line)
            self._unsynced = True
            return
        if self.guard is not None:
            self.guard()
        self._write([line])
        self._seq += 1
        self._head = line_hash(line)
        self._unsynced = True
        if self.best is None and self.writable:
            self.best = self.writable[0]

    def _write(self, lines: list[bytes], seq: int | None = None) -> None:
        """Write lines to every writable replica's copy, all of them or none (one
        append per copy: a group commit's batch of lines is one write); OSError if
        no copy took them."""
        seq = self._seq if seq is None else seq
        if self._segment is None:
            self._segment = f"{seq + 1:010d}.jsonl"
        data = b"\n".join(lines) + b"\n"
        written = 0
        errnos: list[int] = []
        for folder in self.writable:
            try:
                if not self._copies[folder].there():
                    raise FileNotFoundError(2, "the replica's folder is gone")
                self._copies[folder].append(self._segment, data)
                written += 1
            except OSError as exc:
                self.damaged[folder] = f"could not be written ({exc.strerror})"
                self._drop(folder)
                errnos.append(exc.errno or 0)
        self.writable = [p for p in self.writable if p not in self.damaged]
        if not written and self.folders:
            code = errnos[0] if errnos and len(set(errnos)) == 1 else 0
            raise OSError(code, "the custody log could not be written to any replica"
                          + (f" ({os.strerror(code)})" if code else ""))

    def _release(self) -> None:
        """Write the held lines (group commit), after the replicas' data is durable."""
        held, self._held = self._held, None
        before, self._before_release = self._before_release, None
        if not held:
            return
        seq, head = self._held_from
        try:
            if self.guard is not None:  # the folder locked is still the case's
                self.guard()
            if before is not None:
                before()
            self._write(held, seq)  # one append per copy, undone whole if it fails
        except BaseException:
            # nothing of the batch was written: the chain goes on from the line
            # before it (the batch's index transaction is rolled back with it)
            self._seq, self._head = seq, head
            raise
        if self.best is None and self.writable:
            self.best = self.writable[0]

    def sync(self) -> None:
        """Make every line written so far durable (fsync), in every replica.

        Called before an original leaves the inbox and when a case is closed:
        until then, the original is still in the inbox if the power fails.
        Lines held by a group commit are written first, after the replicas'
        metadata files are durable.
        """
        if self._held is not None:
            self._release()
        if not self._unsynced:
            return
        for folder in self.writable:
            try:
                self._copies[folder].flush()
            except OSError as exc:
                self.damaged[folder] = f"could not be written ({exc.strerror})"
                self._drop(folder)
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
        for folder in self._copies:
            self._drop(folder)

    def add_replica(self, folder: Any) -> None:
        """A replica came back: bring its log up to date and write to it from now on."""
        if folder in self.writable:
            return
        if folder not in self.folders:
            self.folders.append(folder)
            self._copies[folder] = log_copy(folder)
        self._drop(folder)
        try:
            check = check_chain(self._copies[folder])
            state = self._compare(folder)
            if check.problem or state == "differs":
                self.damaged[folder] = check.problem or "differs from the other replicas' log"
                return
            if state == "behind":
                sync_from(self._copies[folder], self._copies[self.best])
        except OSError as exc:
            self.damaged[folder] = f"could not catch up ({exc.strerror})"
            return
        self.damaged.pop(folder, None)
        self.writable.append(folder)

    def event(self, name: str, /, **fields: Any) -> str:
        """Append one line; returns its hash. The first line of a run names the plugins."""
        if "event" in fields:
            raise TypeError("a custody line's field cannot be called 'event' (the line's name)")
        if not self._versions_logged and self.plugin_versions:
            self._versions_logged = True
            self._logger.info("session", plugins=self.plugin_versions)
        self._logger.info(name, **fields)
        return self.head
