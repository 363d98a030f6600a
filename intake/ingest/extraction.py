"""Extraction bookkeeping: handing stored items to the plugin workers, recording
what they read (``drain``), and derived items (an e-mail's attachment), which go
through the same store stage as a dropped file."""

from __future__ import annotations

import io
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from ..case import Case
from ..extract import ExtractionResult, ParallelExtractor, extract_in_process
from ..put import commit, put_stream
from ..serialize import dumps, to_plain
from ..types import ItemView
from .task import MAX_DEPTH, MAX_DERIVED, Refused, Task, meta_dir


class Extraction:
    """The extract stage and its bookkeeping (a part of `Pipeline`)."""

    case: Case

    def extract(self, task: Task) -> None:
        """Hand the item to the plugins; results are taken by `drain`, in this thread."""
        if task.sha256 and not self.case.index.has_extraction(task.sha256):
            self.start_extraction(task.sha256, task.name, depth=0)
        self.drain(block=False)

    def start_extraction(self, sha256: str, name: str, depth: int, parent: str = "",
                         relation: str = "") -> None:
        """Queue a stored item for the plugins; storing never waits for them (issue 15.6)."""
        if sha256 in self._pending or sha256 in self._waiting:
            return
        self._waiting[sha256] = (name, depth, parent, relation)
        self._hand_out()

    def _hand_out(self) -> None:
        """Give waiting items to the workers while fewer than the limit are in flight.

        The limit bounds what finished results hold in memory; the queue holds
        only names, so a slow plugin (OCR) no longer holds up the store stage.
        """
        limit = 2 * (self._pool.workers if self._pool else 1)
        while self._waiting and len(self._pending) < limit:
            sha256 = next(iter(self._waiting))
            name, depth, parent, relation = self._waiting.pop(sha256)
            view = self.item_view(sha256, name, parent, relation)
            if not self.sandbox:
                future: Future = Future()
                future.set_result(extract_in_process(self.case.pm, view, self.case.info))
            else:
                future = self._extractor().submit(view, self.case.info)
            self._pending[sha256] = (future, name, depth, parent, relation)

    def drain(self, block: bool = True, wait_one: bool = False) -> int:
        """Record the finished extractions (all of them, with `block`); returns how many."""
        done = 0
        self._hand_out()
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
            self._hand_out()
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
        return bool(self._pending or self._waiting)

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
            if sha not in self._pending and sha not in self._waiting:
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
