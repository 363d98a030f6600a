"""The custody log: one JSON line per step, each carrying the hash of the one before.

Written through structlog: a processor adds the sequence number, the tool's
version and the SHA-256 of the previous line; the JSON renderer sorts keys;
the "logger" appends the line to ``custody.jsonl`` in every available replica
and fsyncs it. A replica that was absent catches up (the lines it lacks are
appended) as soon as it is back. Any single replica's log is enough to
rebuild the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from . import __version__

GENESIS = "0" * 64


def line_hash(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass
class ChainCheck:
    """The result of reading one copy of the log."""

    lines: list[bytes]  # the valid prefix
    problem: str = ""  # empty when the whole file is a valid chain
    problem_line: int = 0  # 1-based line number of the first bad line

    @property
    def head(self) -> str:
        return line_hash(self.lines[-1]) if self.lines else GENESIS


def check_chain(path: Path) -> ChainCheck:
    """Read a custody log and check every line's link to the one before."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return ChainCheck([])
    lines = raw.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    elif lines:
        return _walk(lines[:-1], extra=f"line {len(lines)} is cut off (no end of line)",
                     at=len(lines))
    return _walk(lines)


def _walk(lines: list[bytes], extra: str = "", at: int = 0) -> ChainCheck:
    prev = GENESIS
    good: list[bytes] = []
    for n, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except ValueError:
            return ChainCheck(good, f"line {n} is not valid JSON (altered or damaged)", n)
        if not isinstance(record, dict) or record.get("prev") != prev:
            return ChainCheck(good, f"line {n} does not link to line {n - 1} "
                                    "(a line was altered, removed or inserted)", n)
        if record.get("seq") != n:
            return ChainCheck(good, f"line {n} has sequence number {record.get('seq')}", n)
        good.append(line)
        prev = line_hash(line)
    return ChainCheck(good, extra, at)


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

    `paths` are the custody.jsonl files of the replicas in use now. On open,
    the longest valid chain among them wins and shorter valid prefixes catch
    up; a copy that is damaged is left alone (``intake verify`` reports it,
    ``intake repair`` replaces it).
    """

    def __init__(self, paths: list[Path], plugin_versions: dict[str, str] | None = None) -> None:
        self.paths = list(paths)
        self.plugin_versions = dict(sorted((plugin_versions or {}).items()))
        checks = {p: check_chain(p) for p in self.paths}
        best = max(checks.values(), key=lambda c: len(c.lines), default=ChainCheck([]))
        self.lines = list(best.lines)
        self.damaged: dict[Path, str] = {}
        for path, check in checks.items():
            if check.problem or check.lines != self.lines[:len(check.lines)]:
                self.damaged[path] = check.problem or "differs from the other replicas' log"
                continue
            missing = self.lines[len(check.lines):]
            if missing:
                self._write(path, missing)
        self.writable = [p for p in self.paths if p not in self.damaged]
        self._logger = structlog.wrap_logger(
            _ReplicaWriter(self),
            processors=[self._chain, structlog.processors.JSONRenderer(sort_keys=True,
                                                                        ensure_ascii=False)],
            cache_logger_on_first_use=False,
        )
        self._versions_logged = False

    @property
    def head(self) -> str:
        return line_hash(self.lines[-1]) if self.lines else GENESIS

    @property
    def seq(self) -> int:
        return len(self.lines)

    def _chain(self, _logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
        event_dict["seq"] = self.seq + 1
        event_dict["prev"] = self.head
        event_dict.setdefault("at", datetime.now(UTC).isoformat(timespec="milliseconds")
                              .replace("+00:00", "Z"))
        event_dict["tool"] = f"intake {__version__}"
        return event_dict

    def _write(self, path: Path, lines: list[bytes]) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        fd = os.open(path, flags, 0o600)
        try:
            os.write(fd, b"".join(line + b"\n" for line in lines))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _append(self, line: bytes) -> None:
        if b"\n" in line:
            raise ValueError("a custody line cannot contain a newline")
        written = 0
        for path in self.writable:
            try:
                self._write(path, [line])
                written += 1
            except OSError as exc:
                self.damaged[path] = f"could not be written ({exc.strerror})"
        self.writable = [p for p in self.writable if p not in self.damaged]
        self.lines.append(line)
        if not written and self.paths:
            raise OSError("the custody log could not be written to any replica")

    def add_replica_path(self, path: Path) -> None:
        """A replica came back: bring its log up to date and write to it from now on."""
        if path in self.writable:
            return
        check = check_chain(path)
        if check.problem or check.lines != self.lines[:len(check.lines)]:
            self.damaged[path] = check.problem or "differs from the other replicas' log"
            return
        if len(check.lines) < len(self.lines):
            self._write(path, self.lines[len(check.lines):])
        if path not in self.paths:
            self.paths.append(path)
        self.damaged.pop(path, None)
        self.writable.append(path)

    def event(self, name: str, /, **fields: Any) -> str:
        """Append one line; returns its hash. The first line of a run names the plugins."""
        if not self._versions_logged and self.plugin_versions:
            self._versions_logged = True
            self._logger.info("session", plugins=self.plugin_versions)
        self._logger.info(name, **fields)
        return self.head
