"""The pipeline: the stages one dropped file goes through, listed in one place.

    receive  -> look at the file without changing it (fs times, kind of file)
    store    -> one read pass: digests + a verified copy in every replica,
                item metadata and receipt in every replica, custody lines
    extract  -> the plugins read it (in a worker); derived items are stored
                and read in turn
    settle   -> once min_copies replicas hold it, the original moves to
                inbox/ingested/ (files from elsewhere are left where they are)

Each stage writes its metadata files, then its custody line, then the index,
in that order, so a crash at any point leaves nothing the next run cannot
finish. The watcher and ``intake ingest`` both call `Pipeline.process`.
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .case import Case
from .extract import ExtractionResult, ParallelExtractor, extract_in_process
from .inbox import HALF_MADE
from .names import candidates, raw_hex, readable
from .put import Digests, PutResult, commit, discard, put_stream
from .replica import verified_meta
from .serialize import dumps, to_plain
from .sniff import sniff_bytes
from .types import ItemView

MAX_DEPTH = 8  # derived items inside derived items
MAX_DERIVED = 20000  # per item


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ns_to_iso(ns: int) -> str:
    moment = datetime.fromtimestamp(ns // 1_000_000_000, UTC).replace(
        microsecond=(ns % 1_000_000_000) // 1000)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def meta_dir(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}"


@dataclass
class Task:
    """One file on its way through the stages."""

    path: Path
    source: str  # as recorded: "inbox/sub/x.jpg" or an absolute path (readable text)
    from_inbox: bool
    name: str = ""
    source_bytes: str | None = None  # hex of the raw path when it is not valid UTF-8
    st: os.stat_result | None = None
    fs_times: dict[str, str] = field(default_factory=dict)
    put: PutResult | None = None
    sha256: str = ""
    receipt_id: str = ""
    outcome: str = ""  # stored, waiting, settled, skipped, refused, changed
    reason: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.outcome in ("refused", "changed", "skipped")


class Refused(Exception):
    """The file cannot be taken now; the reason is for people."""


class Pipeline:
    """Runs files through the stages for one open case."""

    def __init__(self, case: Case, *, sandbox: bool = True,
                 on_item: Callable[[Task], None] | None = None) -> None:
        self.case = case
        self.sandbox = sandbox
        self.on_item = on_item
        self._pool: ParallelExtractor | None = None
        # extractions under way: sha256 -> (future, name, depth, parent, relation)
        self._pending: dict[str, tuple[Future, str, int, str, str]] = {}
        self.stages: tuple[tuple[str, Callable[[Task], None]], ...] = (
            ("receive", self.receive),
            ("store", self.store),
            ("extract", self.extract),
            ("settle", self.settle),
        )

    def close(self) -> None:
        try:
            self.drain(block=True)
        finally:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- driver ---------------------------------------------------------------

    def process(self, path: Path, *, from_inbox: bool) -> Task:
        cfg = self.case.config
        raw = cfg.rel(path) if from_inbox else str(path.absolute())
        task = Task(path=path, source=readable(raw), from_inbox=from_inbox,
                    name=readable(path.name), source_bytes=raw_hex(raw))
        self.case.check_lock()  # the case folder is still the one this process locked
        for _name, stage in self.stages:
            try:
                stage(task)
            except Refused as exc:
                task.outcome = task.outcome or "refused"
                task.reason = str(exc)
                self._record_problem(task)
            if task.done:
                break
        if self.on_item:
            self.on_item(task)
        return task

    def _record_problem(self, task: Task) -> None:
        st = task.st
        size = st.st_size if st else None
        mtime = st.st_mtime_ns if st else None
        idx = self.case.index
        if idx.set_problem(task.source, task.reason, size, mtime, now_utc()):
            self.case.log.event("refused", source=task.source, reason=task.reason)

    # --- stage 1: receive -------------------------------------------------------

    def receive(self, task: Task) -> None:
        try:
            st = os.lstat(task.path)
        except FileNotFoundError:
            task.outcome = "skipped"
            task.reason = "the file disappeared before it could be read"
            return
        except OSError as exc:
            raise Refused(f"the file cannot be looked at ({exc.strerror})") from exc
        task.st = st
        if stat.S_ISLNK(st.st_mode):
            raise Refused("this is a shortcut (symbolic link) to another file; shortcuts are "
                          "not followed: drop the file itself")
        if stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode):
            raise Refused("this is a pipe or socket, not a file; there is nothing to store")
        if not stat.S_ISREG(st.st_mode):
            raise Refused("this is a device or special file, not a document")
        task.fs_times = {"mtime": ns_to_iso(st.st_mtime_ns), "ctime": ns_to_iso(st.st_ctime_ns),
                         "atime": ns_to_iso(st.st_atime_ns)}
        birth = getattr(st, "st_birthtime", None)
        if birth:
            task.fs_times["birthtime"] = ns_to_iso(int(birth * 1e9))

    # --- stage 2: store ---------------------------------------------------------

    def store(self, task: Task) -> None:
        case = self.case
        if not case.available:
            raise Refused("no replica of the store is available (" +
                          "; ".join(f"{k}: {v}" for k, v in case.unavailable.items()) + ")")
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(task.path, flags | getattr(os, "O_NOATIME", 0))
        except PermissionError:
            try:
                fd = os.open(task.path, flags)  # O_NOATIME needs ownership
            except OSError as exc:
                raise Refused(f"the file cannot be read ({exc.strerror}); it was left where it "
                              "is") from exc
        except FileNotFoundError:
            task.outcome, task.reason = "skipped", "the file disappeared before it could be read"
            return
        except OSError as exc:
            raise Refused(f"the file cannot be read ({exc.strerror}); it was left where it is") from exc
        try:
            with os.fdopen(fd, "rb") as f:
                put = put_stream(f, case.available)
                after = os.fstat(f.fileno())
        except OSError as exc:
            raise Refused(f"reading the file failed ({exc.strerror}); it was left where it is") from exc
        assert task.st is not None and put.digests is not None
        if (after.st_size != task.st.st_size or after.st_mtime_ns != task.st.st_mtime_ns
                or put.digests.size != after.st_size):
            discard(put)
            task.outcome = "changed"
            task.reason = "the file changed while it was being copied; it will be taken when it is stable"
            return
        commit(put)
        task.put = put
        task.sha256 = put.digests.sha256
        mime = self._sniff(put.digests.sha256, task.name)
        self._record_item(put, mime)
        self._record_receipt(task)
        case.index.clear_problem(task.source)
        task.outcome = "stored" if len(case.index.copies(task.sha256)) >= case.config.min_copies \
            else "waiting"

    def _sniff(self, sha256: str, name: str) -> str:
        path = self.case.object_path(sha256)
        head = b""
        if path is not None:
            with open(path, "rb") as f:
                head = f.read(8192)
        try:
            return self.case.pm.hook.intake_sniff(head=head, name=name) or sniff_bytes(head, name)
        except Exception as exc:  # a plugin's sniffer must not stop the store
            self.case.log.event("warned", reason=f"a plugin's intake_sniff failed: {exc!r}")
            return sniff_bytes(head, name)

    def _write_meta(self, rel: str, data: bytes, replicas: list[str] | None = None) -> str:
        """Write one metadata file to the replicas; returns its SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        for rep in self.case.available:
            if replicas is not None and rep.name not in replicas:
                continue
            try:
                rep.write_meta(rel, data)
            except OSError as exc:
                self.case.log.event("warned", replica=rep.name, meta=rel,
                                    reason=f"metadata could not be written ({exc.strerror})")
        return digest

    def _record_item(self, put: PutResult, mime: str) -> None:
        """Item metadata and copies: the part of "store" that does not depend on the drop."""
        case, d = self.case, put.digests
        assert d is not None
        new_item = not case.index.has_item(d.sha256)
        meta: dict[str, str] = {}
        item_meta = meta
        if new_item:
            item = {"sha256": d.sha256, "sha512": d.sha512, "md5": d.md5, "size": d.size,
                    "mime": mime}
            rel = f"{meta_dir(d.sha256)}/item.json"
            meta[rel] = self._write_meta(rel, dumps(item))
        else:
            # replicas that just got the object still need its metadata files
            for rep_name in put.written:
                self._copy_meta_to(d.sha256, rep_name)
        for rep_name in put.written:
            case.log.event("stored", sha256=d.sha256, replica=rep_name, size=d.size,
                           verified=True, meta=meta)
            meta = {}  # the metadata hash is logged once
        for rep_name in put.repaired:
            case.log.event("repaired", sha256=d.sha256, replica=rep_name,
                           reason="a damaged copy was replaced by a verified one")
        if meta:  # nothing newly written (all present): still record the metadata
            case.log.event("stored", sha256=d.sha256, replica="", size=d.size, verified=True,
                           meta=meta)
        for rep_name, reason in put.failed.items():
            case.log.event("warned", sha256=d.sha256, replica=rep_name, reason=reason)
        with case.index.tx():
            case.index.add_item(d.sha256, d.size, d.sha512, d.md5, mime, now_utc())
            for rel, digest in item_meta.items():
                case.index.set_meta_hash(rel, digest)
            for rep_name in put.stored:
                case.index.set_copy(d.sha256, rep_name)
            case.index.set_state("custody_seq", str(case.log.seq))

    def _copy_meta_to(self, sha256: str, rep_name: str) -> None:
        """Give a replica that just got an item's object the item's metadata files too."""
        target = self.case.replica(rep_name)
        if target is None:
            return
        for rel, digest in self.case.index.meta_hashes(f"{meta_dir(sha256)}/").items():
            if target.read_meta(rel) is None:  # the same rule as repair: only verified copies
                data = verified_meta(self.case.available, rel, digest, exclude=target)
                if data is not None:
                    target.write_meta(rel, data)

    def _record_receipt(self, task: Task) -> None:
        case = self.case
        st = task.st
        assert st is not None
        existing = case.index.open_receipt(task.sha256, task.source, st.st_size, st.st_mtime_ns)
        if existing:  # the same drop, seen again after an interruption
            task.receipt_id = existing
            return
        received_at = now_utc()
        # The id depends on the drop, not on the clock: a run killed after writing the
        # receipt file but before logging it writes the same file again on retry, so a
        # drop never gets two receipts. A later drop of the very same file at the same
        # path (after this one settled) counts the settled ones and gets its own id.
        earlier = case.index.settled_receipts(task.sha256, task.source, st.st_size,
                                              st.st_mtime_ns)
        rid = hashlib.sha256(f"{task.sha256}|{task.source}|{st.st_size}|{st.st_mtime_ns}|"
                             f"{earlier}".encode()).hexdigest()[:32]
        receipt = {"id": rid, "sha256": task.sha256, "received_at": received_at,
                   "source": task.source, "name": task.name, "size": st.st_size,
                   "mtime_ns": st.st_mtime_ns, "fs_times": task.fs_times,
                   "host_clock": "UTC from this machine's clock"}
        if task.source_bytes:  # a name that is not UTF-8: its raw bytes, losslessly
            receipt["source_bytes"] = task.source_bytes
        rel = f"{meta_dir(task.sha256)}/receipts/{rid}.json"
        digest = self._write_meta(rel, dumps(receipt))
        raw = {"source_bytes": task.source_bytes} if task.source_bytes else {}
        case.log.event("received", sha256=task.sha256, receipt=rid, source=task.source,
                       name=task.name, size=st.st_size, fs_times=task.fs_times,
                       meta={rel: digest}, **raw)
        with case.index.tx():
            case.index.add_receipt(receipt)
            case.index.set_meta_hash(rel, digest)
            case.index.set_state("custody_seq", str(case.log.seq))
        task.receipt_id = rid

    # --- stage 3: extract ------------------------------------------------------

    def extract(self, task: Task) -> None:
        """Hand the item to the plugins; results are taken by `drain`, in this thread."""
        if task.sha256 and not self.case.index.has_extraction(task.sha256):
            self.start_extraction(task.sha256, task.name, depth=0)
        self.drain(block=False)

    def start_extraction(self, sha256: str, name: str, depth: int, parent: str = "",
                         relation: str = "") -> None:
        if sha256 in self._pending:
            return
        view = self.item_view(sha256, name, parent, relation)
        if not self.sandbox:
            future: Future = Future()
            future.set_result(extract_in_process(self.case.pm, view, self.case.info))
        else:
            future = self._extractor().submit(view, self.case.info)
        self._pending[sha256] = (future, name, depth, parent, relation)
        # keep a bounded number in flight: derived items can carry many bytes
        limit = 2 * (self._pool.workers if self._pool else 1)
        while len(self._pending) > limit:
            self.drain(block=False, wait_one=True)

    def drain(self, block: bool = True, wait_one: bool = False) -> int:
        """Record the finished extractions (all of them, with `block`); returns how many."""
        done = 0
        while self._pending:
            futures = [job[0] for job in self._pending.values()]
            if block or wait_one:
                wait(futures, return_when=FIRST_COMPLETED)
            finished = [sha for sha, job in self._pending.items() if job[0].done()]
            if not finished:
                break
            order = list(self._pending)
            for sha in sorted(finished, key=order.index):
                job = self._pending.pop(sha, None)
                if job is None:  # taken meanwhile by a nested drain (derived items)
                    continue
                future, name, depth, parent, relation = job
                try:
                    result = future.result()
                except Exception as exc:  # the worker machinery itself failed
                    result = ExtractionResult(not_started=f"the plugin worker could not be "
                                                          f"started ({exc})")
                if result.not_started:
                    self._not_extracted(sha, result.not_started)
                    continue
                self._finish_extraction(sha, name, depth, result)
                done += 1
            if wait_one and not block:
                break
        return done

    def _not_extracted(self, sha256: str, why: str) -> None:
        """No plugin could run (the worker did not start): that is no extraction.

        The item stays without one, so the next start reads it again
        (`extract_missing`); `intake status` says why meanwhile.
        """
        reason = f"not extracted yet: {why}; tried again at the next start"
        self.case.log.event("warned", sha256=sha256, reason=reason)
        with self.case.index.tx():
            self.case.index.set_state("not_extracted_reason", reason)
            self.case.index.set_state("custody_seq", str(self.case.log.seq))

    @property
    def busy(self) -> bool:
        """True while extractions are under way."""
        return bool(self._pending)

    def warm_up(self) -> None:
        """Start the plugin workers now (the watcher: no wait on the first file)."""
        if self.sandbox:
            self._extractor().warm_up()

    def _extractor(self) -> ParallelExtractor:
        if self._pool is None:
            self._pool = ParallelExtractor(self.case.config.plugin_folders,
                                           timeout=self.case.config.plugin_timeout)
        return self._pool

    def extract_missing(self) -> int:
        """Start the extraction of stored items that have none (an interrupted run)."""
        n = 0
        for sha, name, parent, relation in self.case.index.items_without_extraction():
            if sha not in self._pending:
                self.start_extraction(sha, name, 0, parent, relation)
                n += 1
        return n

    def item_view(self, sha256: str, name: str, parent: str = "", relation: str = "") -> ItemView:
        path = self.case.object_path(sha256)
        if path is None:
            raise Refused("no replica holds a copy to read")
        item = self.case.index.item(sha256) or {}
        with open(path, "rb") as f:
            head = f.read(8192)
        received_at, fs_times = self.case.index.first_receipt(sha256)
        return ItemView(sha256=sha256, path=path, name=name, size=item.get("size", 0),
                        mime=item.get("mime", ""), head=head, parent_sha256=parent,
                        relation=relation, fs_times=fs_times,
                        received_at=received_at)

    def _finish_extraction(self, sha256: str, name: str, depth: int,
                           result: ExtractionResult) -> None:
        case = self.case
        ex = result.extraction
        # the plugin's objects are let go as their plain copies are made: a mailbox's
        # events would otherwise be held twice while they are written (issue 9.10)
        events = list(ex.events) if ex else []
        data: dict[str, Any] = {
            "plugin": result.plugin, "version": result.version,
            "kind": ex.kind if ex else "", "facts": to_plain(ex.facts) if ex else {},
            "events": [],
            "warnings": (list(ex.warnings) if ex else []) + result.warnings,
            "runs": to_plain(result.runs), "derived": [],
        }
        if ex is None:
            data["warnings"].append("no plugin could read this file; it is stored and listed")
        derived = list(ex.derived) if ex else []
        result.extraction = ex = None
        for n in range(len(events)):
            data["events"].append(to_plain(events[n]))
            events[n] = None
        if len(derived) > MAX_DERIVED:
            # first, so that `status` (which shows an item's first warning) and the
            # reports say it: never a silent loss (issue 9, point 10)
            data["warnings"].insert(0, f"not taken: {len(derived) - MAX_DERIVED} of "
                                       f"{len(derived)} embedded files, reason: more than "
                                       f"{MAX_DERIVED} in one file (the limit per file); they "
                                       "stay inside the stored original")
            derived = derived[:MAX_DERIVED]
        children: list[tuple[str, str, str]] = []
        for n in range(len(derived)):
            d, derived[n] = derived[n], None  # each member's bytes go once stored
            if depth >= MAX_DEPTH:
                data["warnings"].append(f"embedded files nested deeper than {MAX_DEPTH} levels "
                                        "were not unpacked")
                break
            child = self._store_derived(sha256, n, d.data, d.name, d.relation, d.event_key)
            if child is None:
                data["warnings"].append(f"embedded file {d.name!r} could not be stored")
                continue
            data["derived"].append({"sha256": child, "name": d.name, "relation": d.relation,
                                    "event_key": d.event_key, "mime": d.mime})
            children.append((child, d.name, d.relation))
        rel = f"{meta_dir(sha256)}/extraction.json"
        digest = self._write_meta(rel, dumps(data))
        case.log.event("extracted", sha256=sha256, plugin=result.plugin, version=result.version,
                       events=len(data["events"]), derived=len(data["derived"]),
                       runs=[{"plugin": r.plugin, "version": r.version, "status": r.status}
                             for r in result.runs], meta={rel: digest})
        for warning in data["warnings"]:
            case.log.event("warned", sha256=sha256, reason=warning)
        with case.index.tx():
            case.index.set_extraction(sha256, data)
            case.index.set_meta_hash(rel, digest)
            case.index.set_state("custody_seq", str(case.log.seq))
        for child, child_name, child_relation in children:
            if not case.index.has_extraction(child):
                self.start_extraction(child, child_name, depth + 1, sha256, child_relation)

    def _store_derived(self, parent: str, n: int, data: bytes, name: str, relation: str,
                       event_key: str) -> str | None:
        case = self.case
        put = put_stream(io.BytesIO(data), case.available)
        commit(put)
        if not put.stored:
            return None
        assert put.digests is not None
        sha = put.digests.sha256
        self._record_item(put, self._sniff(sha, name))
        origin = {"sha256": sha, "parent": parent, "n": n, "relation": relation,
                  "name": name, "event_key": event_key}
        rel = f"{meta_dir(sha)}/origins/{parent}-{n}.json"
        digest = self._write_meta(rel, dumps(origin))
        case.log.event("derived", sha256=sha, parent=parent, relation=relation, name=name,
                       meta={rel: digest})
        with case.index.tx():
            case.index.add_origin(sha, parent, relation, name, event_key, n)
            case.index.set_meta_hash(rel, digest)
            case.index.set_state("custody_seq", str(case.log.seq))
        return sha

    # --- stage 4: settle -------------------------------------------------------

    def _note_waiting(self, task: Task) -> None:
        """Say in `intake status` why a stored original still waits in the inbox.

        The replicas' reasons (full, unplugged) are known only while writing, so
        they are kept with the index's other "not taken" reasons; the next
        successful store of the file clears them.
        """
        st = task.st
        self.case.index.set_problem(task.source, task.reason, st.st_size if st else None,
                                    st.st_mtime_ns if st else None, now_utc())

    def settle(self, task: Task) -> None:
        case = self.case
        if not task.from_inbox or not task.sha256:
            return
        copies = case.index.copies(task.sha256)
        if len(copies) < case.config.min_copies:
            failed = task.put.failed if task.put else {}
            why = "; ".join(f"replica {r.name}: " + (failed.get(r.name) or case.unavailable.get(
                r.name) or "no copy yet") for r in case.replicas if r.name not in copies)
            task.outcome = "waiting"
            task.reason = (f"{len(copies)} of {case.config.min_copies} copies made; the file stays "
                           f"in the inbox until the other replicas are available ({why})")
            self._note_waiting(task)
            return
        if not self._holds_stored_bytes(task):
            self._replaced(task)
            return
        ingested = case.config.ingested_dir
        source_path = task.path
        if task.path == ingested:  # a file the victim named "ingested"
            target = ingested / "ingested"
        else:
            if not self.prepare_inbox():
                task.outcome = "waiting"
                task.reason = ("stored, but inbox/ingested/ cannot be made yet: a file named "
                               "'ingested' is in the way until it is stored itself")
                self._note_waiting(task)
                return
            target = settle_target(ingested, case.config.inbox, task.path)
            target.parent.mkdir(parents=True, exist_ok=True)
        case.log.sync()  # the receipt and copies are on record before the original moves
        try:
            if task.path == ingested:
                source_path = self._move_file_named_ingested(task.path)
            os.rename(source_path, target)
        except FileNotFoundError:
            task.outcome = "stored"
            return
        except OSError as exc:
            task.outcome = "waiting"
            task.reason = f"stored, but could not be moved to ingested/ ({exc.strerror})"
            self._note_waiting(task)
            return
        if not self._moved_what_was_checked(task, target):
            return
        rel_to = readable(case.config.rel(target))
        case.log.event("settled", sha256=task.sha256, receipt=task.receipt_id,
                       source=task.source, moved_to=rel_to)
        with case.index.tx():
            case.index.settle_receipt(task.receipt_id, rel_to)
            case.index.set_state("custody_seq", str(case.log.seq))
        task.outcome = "settled"
        if task.path != ingested:
            remove_empty_parents(task.path.parent, case.config.inbox)

    def _holds_stored_bytes(self, task: Task) -> bool:
        """Does the inbox path still hold the bytes that were stored?

        The victim (or a program) may replace the file while the plugins read it
        (``mv new.png s5.png``). Same inode, size and modification time: yes;
        when any differs, the hash decides. A missing file is left to the move.
        """
        st0 = task.st
        try:
            st = os.lstat(task.path)
        except FileNotFoundError:
            return True
        except OSError:
            return False
        assert st0 is not None
        if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == \
                (st0.st_dev, st0.st_ino, st0.st_size, st0.st_mtime_ns):
            return True
        if not stat.S_ISREG(st.st_mode):
            return False
        try:
            fd = os.open(task.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as f:
                return hashlib.file_digest(f, "sha256").hexdigest() == task.sha256
        except OSError:
            return False

    def _replaced(self, task: Task, moved_back: bool = False) -> None:
        """The path now holds other bytes: close this drop, take the new file as a new one."""
        case = self.case
        reason = ("the file in the inbox was replaced by another one before it could be moved; "
                  "the version received is stored, the new one is taken as a new drop")
        case.log.event("replaced", sha256=task.sha256, receipt=task.receipt_id,
                       source=task.source, reason=reason)
        with case.index.tx():
            case.index.settle_receipt(task.receipt_id, "")
            case.index.set_state("custody_seq", str(case.log.seq))
        task.outcome = "changed"
        task.reason = reason

    def _moved_what_was_checked(self, task: Task, target: Path) -> bool:
        """After the move: is what landed in ingested/ the stored file? (a swap in between)"""
        st0 = task.st
        assert st0 is not None
        try:
            st = os.lstat(target)
        except OSError:
            return True
        if (st.st_dev, st.st_ino) == (st0.st_dev, st0.st_ino):
            return True
        check = Task(path=target, source=task.source, from_inbox=True, st=st0,
                     sha256=task.sha256)
        if self._holds_stored_bytes(check):
            return True
        # another file was swapped in between the check and the move: put it back
        if not os.path.lexists(task.path):
            try:
                os.rename(target, task.path)
                self._replaced(task)
                return False
            except OSError:
                pass
        self._replaced(task)
        self.case.log.event("warned", source=readable(self.case.config.rel(target)),
                            reason="a file swapped in at the last moment was moved to ingested/ "
                                   "without being stored; move it back to the inbox")
        return False

    def prepare_inbox(self) -> bool:
        """Make inbox/ingested/ a real folder, whatever the victim dropped under that name.

        A regular file named ``ingested`` is evidence: it is taken like any file,
        before the others (see `first_ingested`), and settles into
        ``ingested/ingested``. A link or anything else of that name is set aside
        as ``ingested (link)``, with a custody line, so that no original is ever
        moved through it. False while the folder cannot be made.
        """
        cfg = self.case.config
        ingested = cfg.ingested_dir
        half = cfg.inbox / HALF_MADE
        if half.is_dir() and not half.is_symlink() and not os.path.lexists(ingested):
            os.rename(half, ingested)  # finish a move of a file named "ingested"
        try:
            st = os.lstat(ingested)
        except FileNotFoundError:
            try:
                ingested.mkdir()  # never parents: an inbox that vanished is not made again
            except FileExistsError:
                pass
            except OSError:
                return False
            return True
        if stat.S_ISDIR(st.st_mode):
            return True
        if stat.S_ISREG(st.st_mode):
            return False
        kind = "link" if stat.S_ISLNK(st.st_mode) else "special file"
        aside = cfg.inbox / f"ingested ({kind})"
        n = 2
        while os.path.lexists(aside):
            aside = cfg.inbox / f"ingested ({kind} {n})"
            n += 1
        os.rename(ingested, aside)
        self.case.log.event("warned", source=cfg.rel(ingested),
                            reason=f"a {kind} named 'ingested' was in the way of inbox/ingested/; "
                                   f"it was renamed to '{aside.name}' and left in the inbox")
        ingested.mkdir()
        return True

    def _move_file_named_ingested(self, path: Path) -> Path:
        """Put a file named "ingested" into a folder that then becomes inbox/ingested/."""
        half = path.parent / HALF_MADE
        half.mkdir(exist_ok=True)
        inside = half / "ingested"
        os.rename(path, inside)
        os.rename(half, path)  # the folder now stands where the file was
        return path / "ingested"

    def reconcile(self) -> int:
        """Finish drops whose original was moved to ingested/ by a run that was killed
        before it could log the move (the "settled" line); returns how many.

        The original is recognised by its place in ingested/ (the same sub-folders,
        perhaps with " (n)"), its size and modification time (a rename keeps both)
        and its SHA-256. Nothing is moved: only the missing line is written.
        """
        case = self.case
        cfg = case.config
        half = cfg.inbox / HALF_MADE
        if half.is_dir() and not half.is_symlink() and not os.path.lexists(cfg.ingested_dir):
            os.rename(half, cfg.ingested_dir)  # finish a move of a file named "ingested"
        prefix = cfg.rel(cfg.inbox) + "/"
        claimed = case.index.settled_to_paths()
        n = 0
        for r in case.index.unsettled_receipts(prefix):
            sources = [cfg.case_dir / c for c in candidates(r["source"])]
            if any(os.path.lexists(p) and not (p == cfg.ingested_dir and p.is_dir())
                   for p in sources):
                continue  # still in the inbox: the pipeline will take it
            target = next(filter(None, (self._moved_original(p, r, claimed) for p in sources)),
                          None)
            if target is None:
                continue
            rel_to = readable(cfg.rel(target))
            claimed.add(rel_to)
            case.log.event("settled", sha256=r["sha256"], receipt=r["id"], source=r["source"],
                           moved_to=rel_to, reason="the move was finished before an "
                                                   "interruption; recorded on restart")
            with case.index.tx():
                case.index.settle_receipt(r["id"], rel_to)
                case.index.set_state("custody_seq", str(case.log.seq))
            n += 1
        # folders the originals were moved out of, left behind by a run killed just
        # after a move: nothing else is left at the top of a settled inbox
        folders = {(cfg.case_dir / s).parent for s in case.index.settled_sources(prefix)}
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != cfg.inbox and cfg.inbox in folder.parents and not folder.is_dir():
                folder = folder.parent  # removed already; its parent may not be
            if folder != cfg.inbox and not folder.is_symlink():
                remove_empty_parents(folder, cfg.inbox)
        return n

    def _moved_original(self, source: Path, r: dict[str, Any], claimed: set[str]) -> Path | None:
        cfg = self.case.config
        try:
            first = cfg.ingested_dir / source.relative_to(cfg.inbox)
        except ValueError:
            return None
        candidate, k = first, 1
        while candidate.exists() or k == 1:
            rel_to = readable(cfg.rel(candidate))
            try:
                st = os.lstat(candidate)
            except OSError:
                st = None
            if (st is not None and stat.S_ISREG(st.st_mode) and rel_to not in claimed
                    and st.st_size == r["size"] and st.st_mtime_ns == r["mtime_ns"]):
                with open(candidate, "rb") as f:
                    if hashlib.file_digest(f, "sha256").hexdigest() == r["sha256"]:
                        return candidate
            k += 1
            candidate = first.with_name(f"{first.stem} ({k}){first.suffix}")
        return None


def first_ingested(paths: list[Path], ingested: Path) -> list[Path]:
    """A file named "ingested" goes first: inbox/ingested/ can be made only once it is stored."""
    return sorted(paths, key=lambda p: p != ingested)


def settle_target(ingested: Path, inbox: Path, path: Path) -> Path:
    """Where an original goes in inbox/ingested/: same sub-folders, never over another file."""
    target = ingested / path.relative_to(inbox)
    if not target.exists():
        return target
    stem, suffix = target.stem, target.suffix
    n = 2
    while True:
        candidate = target.with_name(f"{stem} ({n}){suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def remove_empty_parents(folder: Path, inbox: Path) -> None:
    """Remove folders the victim dropped once they are empty (never the inbox itself)."""
    while folder != inbox and inbox in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


__all__ = ["Pipeline", "Task", "Digests"]
