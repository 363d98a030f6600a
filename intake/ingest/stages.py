"""The stages a dropped file goes through: receive, store, settle (extract is in
``extraction``). Each records its step as one unit of work (``intake.recording.Step``:
metadata files, then custody lines, then the index), so a crash at any point
leaves nothing the next run cannot finish."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from ..case import Case
from ..extract import CORE_SNIFFER, first_answer, has_plugin_sniffers
from ..names import readable
from ..plugin_worker import shared_worker
from ..plugins import hook_impls
from ..put import PutResult, commit, discard, put_stream
from ..recording import GroupCommit, Step
from ..replica import verified_meta
from ..serialize import dumps
from ..sniff import sniff_bytes
from .recovery import remove_empty_parents, settle_target
from .task import Refused, Task, meta_dir, now_utc, ns_to_iso


class Stages:
    """Receive, store and settle, as methods of the pipeline (a part of `Pipeline`)."""

    case: Case
    _after_barrier: bool
    group: GroupCommit

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
        # the first bytes as read in the store's pass: the copies hold the same
        # (verified by their SHA-256), so no copy is opened again to sniff
        mime = self._sniff(put.digests.sha256, task.name, put.head if put.stored else b"")
        self._record_item(put, mime)
        self._record_receipt(task)
        case.index.clear_problem(task.source)
        task.outcome = "stored" if len(case.index.copies(task.sha256)) >= case.config.min_copies \
            else "waiting"

    def _sniff(self, sha256: str, name: str, head: bytes | None = None) -> str:
        """The item's type, from its first bytes (read from a stored copy unless given)."""
        if head is None:
            head = b""
            path = self.case.object_path(sha256)
            if path is not None:
                with open(path, "rb") as f:
                    head = f.read(8192)
        return self._plugin_sniff(sha256, head, name) or sniff_bytes(head, name)

    def _plugin_sniff(self, sha256: str, head: bytes, name: str) -> str | None:
        """What the plugins' sniffers say, asked in a plugin worker (crafted bytes)."""
        if not has_plugin_sniffers(self.case.pm):
            return None
        if self.sandbox:
            worker = shared_worker(self.case.config.plugin_folders, self.case.config.plugin_timeout)
            mime, warnings = worker.ask("sniff", head, name)
        else:
            mime, warnings = first_answer(hook_impls(self.case.pm, "intake_sniff",
                                                      skip=CORE_SNIFFER), head=head, name=name)
        for warning in warnings:  # a plugin's sniffer must not stop the store
            self.case.log.event("warned", sha256=sha256, reason=warning)
        return mime if isinstance(mime, str) and mime else None

    def _record_item(self, put: PutResult, mime: str) -> None:
        """Item metadata and copies: the part of "store" that does not depend on the drop."""
        case, d = self.case, put.digests
        assert d is not None
        with Step(case) as step:
            meta: dict[str, str] = {}
            if not case.index.has_item(d.sha256):
                item = {"sha256": d.sha256, "sha512": d.sha512, "md5": d.md5, "size": d.size,
                        "mime": mime}
                rel = f"{meta_dir(d.sha256)}/item.json"
                meta[rel] = step.meta(rel, dumps(item))
            else:
                # replicas that just got the object still need its metadata files
                for rep_name in put.written:
                    self._copy_meta_to(d.sha256, rep_name)
            for rep_name in put.written:
                step.line("stored", sha256=d.sha256, replica=rep_name, size=d.size,
                          verified=True, meta=meta)
                meta = {}  # the metadata hash is logged once
            for rep_name in put.repaired:
                step.line("repaired", sha256=d.sha256, replica=rep_name,
                          reason="a damaged copy was replaced by a verified one")
            if meta:  # nothing newly written (all present): still record the metadata
                step.line("stored", sha256=d.sha256, replica="", size=d.size, verified=True,
                          meta=meta)
            for rep_name, reason in put.failed.items():
                step.line("warned", sha256=d.sha256, replica=rep_name, reason=reason)
            step.index(lambda idx: idx.add_item(d.sha256, d.size, d.sha512, d.md5, mime,
                                                now_utc()))
            for rep_name in put.stored:
                step.index(lambda idx, name=rep_name: idx.set_copy(d.sha256, name))
        self.group.wrote(d.sha256, put.written + put.repaired)  # made durable at its barrier

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
        raw = {"source_bytes": task.source_bytes} if task.source_bytes else {}
        with Step(case) as step:
            digest = step.meta(rel, dumps(receipt))
            step.line("received", sha256=task.sha256, receipt=rid, source=task.source,
                      name=task.name, size=st.st_size, fs_times=task.fs_times,
                      meta={rel: digest}, **raw)
            step.index(lambda idx: idx.add_receipt(receipt))
        task.receipt_id = rid

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
        if not self._after_barrier:  # a batch's barrier made them durable already
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
        with Step(case) as step:
            step.line("settled", sha256=task.sha256, receipt=task.receipt_id,
                      source=task.source, moved_to=rel_to)
            step.index(lambda idx: idx.settle_receipt(task.receipt_id, rel_to))
        task.outcome = "settled"
        if task.path != ingested:
            remove_empty_parents(task.path.parent, case.config.inbox)

    def _note_waiting(self, task: Task) -> None:
        """Say in `intake status` why a stored original still waits in the inbox.

        The replicas' reasons (full, unplugged) are known only while writing, so
        they are kept with the index's other "not taken" reasons; the next
        successful store of the file clears them.
        """
        st = task.st
        self.case.index.set_problem(task.source, task.reason, st.st_size if st else None,
                                    st.st_mtime_ns if st else None, now_utc())

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
        with Step(case) as step:
            step.line("replaced", sha256=task.sha256, receipt=task.receipt_id,
                      source=task.source, reason=reason)
            step.index(lambda idx: idx.settle_receipt(task.receipt_id, ""))
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
