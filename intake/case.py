"""An open case: its config, replicas, custody log, index and plugins together.

`Case.open()` is what every command starts with. A writing command holds the
case lock, so two intake processes never write to one case at once.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import heads
from .config import Config, load_config, write_default_config
from .custody import CustodyLog
from .errors import CaseLockedError, ConfigError, CustodyRollback, IntakeError
from .index import Index
from .plugins import get_plugin_manager, list_plugins, merged_mapping
from .reindex import reindex
from .replica import Replica, ReplicaUnavailable
from .types import CaseInfo

#: Case folders this process opened: where to look when a disk may be full.
OPENED: list[Path] = []


@dataclass
class Case:
    config: Config
    case_id: str
    replicas: list[Replica]
    available: list[Replica]
    unavailable: dict[str, str]
    log: CustodyLog
    index: Index
    pm: object
    _lock_fd: int | None = field(default=None, repr=False)
    #: what the head records say the custody log lost (docs/threat-model.md); empty = nothing
    rollback: list[str] = field(default_factory=list)
    _heads_written: tuple[float, int] = field(default=(0.0, 0), repr=False)

    @property
    def info(self) -> CaseInfo:
        return CaseInfo(name=self.config.name, timezone=self.config.timezone,
                        language=self.config.language, ocr_languages=self.config.ocr_languages)

    @classmethod
    def open(cls, case_dir: Path, *, write: bool = True, pm: object = None,
             accept_rollback: bool = False, checked: CustodyLog | None = None) -> Case:
        """Open a case; with ``write=False`` nothing in it is ever written (status, verify).

        `checked`: the log of an open this process just made (``intake verify``, to write
        its "verified" line); its custody chains are not read again where no segment
        changed since (``CustodyLog.checked``), and temporary copies are not swept.
        """
        config = load_config(case_dir)
        OPENED.append(config.case_dir)
        lock_fd = _lock(config) if write else None
        if write:
            config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            if pm is None:
                pm = get_plugin_manager(config.plugin_folders)
            backends = merged_mapping(reversed(pm.hook.intake_storage_backends()))
            replicas = []
            for rc in config.replicas:
                factory = backends.get(rc.kind)
                if factory is None:
                    raise ConfigError(f"{config.case_dir / 'config/intake.toml'}: replica "
                                      f"{rc.name!r} has kind {rc.kind!r}; known kinds: "
                                      f"{', '.join(sorted(backends))}")
                rep = factory(rc.name, str(rc.path), dict(rc.options))
                rep.external = rc.external
                replicas.append(rep)
            case_id = _case_id(config, replicas, write)
            available, unavailable = [], {}
            for rep in replicas:
                try:
                    rep.open(case_id, create=write and not rep.external)
                    # we hold the lock: copies half-written by a killed run are stale (an
                    # open after a check, to write one line, leaves them to the next writer)
                    if write and checked is None:
                        rep.clean_temp()
                    available.append(rep)
                except ReplicaUnavailable as exc:
                    unavailable[rep.name] = str(exc)
                except OSError as exc:
                    unavailable[rep.name] = f"cannot be used ({exc.strerror})"
            versions = {i.name: i.version for i in list_plugins(pm)}
            log = CustodyLog(list(available), versions,
                             head_hint=config.state_dir / "custody_head", read_only=not write,
                             live_writer=not write and _writer_at_work(config),
                             checked=checked.checked if checked else None)
            rollback = heads.contradictions(
                log.lines, heads.read(case_id, config.case_dir,
                                      # head records beside a folder replica's log
                                      {r.name: r.root for r in available if hasattr(r, "root")}))
            if rollback and write and not accept_rollback:
                raise CustodyRollback(
                    "the custody log was cut short or rewritten: " + "; ".join(rollback)
                    + ". Nothing was changed and nothing is rebuilt from this log. "
                    "'intake verify' shows what is missing; restore the missing lines from a "
                    "replica or backup that has them, or, if this log is the one to keep, "
                    "'intake reindex --accept-rollback' records in the log that you accept it")
            index = Index(config.index_path, read_only=not write)
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        case = cls(config, case_id, replicas, available, unavailable, log, index, pm, lock_fd,
                   rollback)
        if lock_fd is not None:
            log.guard = case.check_lock
            for rep in available:
                if rep in log.healed:
                    log.event("repaired", replica=rep.name, what="custody log",
                              reason="a last line left half-written (a full disk or a power "
                                     "cut) was cut off and kept beside the log")
        if write:
            log.on_synced = case._record_head
            if rollback:  # accepted: said in the log itself, for good
                log.event("rollback-accepted", log_lines=log.seq, log_head=log.head,
                          records=rollback)
                case.rollback = []
        if write and int(index.state("custody_seq", "0") or 0) != log.seq:
            # The index is a cache that fell behind the log (a crash, or a
            # replica restored): rebuild it before anything relies on it.
            reindex(case)
        return case

    def _record_head(self, seq: int, head: str, force: bool = False) -> None:
        """Keep the durable head outside the log (at most once a second while working)."""
        now = time.monotonic()
        if not force and (now - self._heads_written[0] < 1.0 or seq == self._heads_written[1]):
            return
        self._heads_written = (now, seq)
        heads.write(self.case_id, self.config.case_dir,
                    [r.custody_path.parent for r in self.log.writable
                     if hasattr(r, "custody_path")], seq, head)

    def close(self, clean: bool = True) -> None:
        """Close; after clean work, record that the index knows every custody line."""
        self.log.close()
        if self._lock_fd is not None and self.log.seq and self._heads_written[1] != self.log.seq:
            self._record_head(self.log.seq, self.log.head, force=True)
        if clean and self._lock_fd is not None and self.log.seq:
            self.index.set_state("custody_seq", str(self.log.seq))
        self.index.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> Case:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(clean=exc_type is None)

    def check_lock(self) -> None:
        """Raise CaseLockedError if the folder this process locked is no longer the case's."""
        if self._lock_fd is not None:
            _still_locked(self.config, self._lock_fd)

    def replica(self, name: str) -> Replica | None:
        return next((r for r in self.replicas if r.name == name), None)

    def refresh_replicas(self) -> list[Replica]:
        """Look again for absent replicas (a USB stick plugged back in)."""
        back = []
        for rep in self.replicas:
            if rep in self.available:
                gone = rep.health()
                if gone:
                    self.available.remove(rep)
                    self.unavailable[rep.name] = gone
                continue
            try:
                rep.open(self.case_id, create=not rep.external)
                rep.clean_temp()
            except (ReplicaUnavailable, OSError):
                continue
            self.unavailable.pop(rep.name, None)
            self.available.append(rep)
            self.log.add_replica(rep)
            back.append(rep)
        self.available.sort(key=self.replicas.index)
        return back

    def object_path(self, sha256: str) -> Path | None:
        """A stored copy of an item in an available replica (first that has it)."""
        for rep in self.available:
            path = rep.object_file(sha256)
            if path is not None:
                return path
        return None

    @property
    def writing(self) -> bool:
        """Opened to write (holding the writer's lock), not read-only."""
        return self._lock_fd is not None


def _lock(config: Config) -> int:
    """Take the writer's lock: on the case folder itself.

    Not on a file in ``.intake/``: that folder is documented as a cache anyone
    may delete, and a lock file deleted under a running watcher would let a
    second writer in. The case folder cannot be deleted without the case.
    """
    fd = os.open(config.case_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise CaseLockedError(f"another intake process (the watcher?) is working on the case "
                              f"{config.case_dir}; wait for it or stop it first") from None
    return fd


def _still_locked(config: Config, fd: int) -> None:
    """Before each custody line: is the folder we locked still the case folder?"""
    try:
        now = os.stat(config.case_dir)
    except OSError:
        now = None
    held = os.fstat(fd)
    if now is None or (now.st_dev, now.st_ino) != (held.st_dev, held.st_ino):
        raise CaseLockedError(f"the case folder {config.case_dir} was moved or replaced while "
                              "intake was writing to it; stopped so that two processes never "
                              "write to one case at once") from None


def _writer_at_work(config: Config) -> bool:
    """Does another process hold the writer's lock right now? (never blocks it)"""
    try:
        fd = os.open(config.case_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a shared lock taken here
    return False


def _case_id(config: Config, replicas: list[Replica], write: bool = True) -> str:
    """The case's identity: kept in every replica's REPLICA.json and in the state folder."""
    for rep in replicas:
        case_id = rep.case_of()
        if case_id:
            return case_id
    hint = config.state_dir / "case_id"
    if hint.is_file():
        return hint.read_text(encoding="utf-8").strip()
    case_id = secrets.token_hex(16)
    if write:
        hint.write_text(case_id + "\n", encoding="utf-8")
    return case_id


def init_case(case_dir: Path, name: str | None = None) -> Config:
    """Make a new case folder: config, inbox, and the default replicas inside it."""
    case_dir = Path(case_dir).resolve()
    if (case_dir / "config" / "intake.toml").exists():
        raise IntakeError(f"{case_dir} is already a case (config/intake.toml exists)")
    case_dir.mkdir(parents=True, exist_ok=True)
    write_default_config(case_dir, name or case_dir.name)
    config = load_config(case_dir)
    config.inbox.mkdir(parents=True, exist_ok=True)
    with Case.open(case_dir) as case:
        case.log.event("case-created", case=config.name, case_id=case.case_id)
        case.index.set_state("custody_seq", str(case.log.seq))
    return config
