"""Extraction bookkeeping: handing stored items to the plugin workers, recording
what they read (``record_finished_extractions``), and derived items (an e-mail's attachment), which go
through the same store stage as a dropped file."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from ..case import Case
from ..event_stream import EncodedEvents, RecordBytes
from ..extract import ExtractionResult, extract_in_process
from ..extraction_records import chosen, may_read, offered_set, record_number, record_rel, waits
from ..plugin_worker import WorkerPool
from ..plugins import extract_plugins
from ..put import commit, put_stream
from ..recording import Step
from ..replica import verified_meta
from ..serialize import dumps, to_plain
from ..types import ItemView
from .task import MAX_DEPTH, MAX_DERIVED, Refused, Task, meta_dir, now_utc


class Extraction:
    """The extract stage and its bookkeeping (a part of `Pipeline`)."""

    case: Case
    #: items being read again: sha256 -> why (the custody line says it)
    _again: dict[str, str]
    _plugins: list[dict[str, Any]] | None
    reread_total: int
    reread_done: int
    on_reread: Callable[[int, int], None] | None

    def extract(self, task: Task) -> None:
        """Hand the item to the plugins, then record every extraction finished meanwhile
        (this item's or earlier items'), in this thread."""
        if task.sha256 and not self.case.index.has_extraction(task.sha256):
            self.start_extraction(task.sha256, task.name, depth=0)
        self.record_finished_extractions(block=False)

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
                future.set_result(extract_in_process(self.case.pm, view, self.case.info,
                                                     encode=True,
                                                     spool_dir=str(self.case.config.state_dir)))
            else:
                future = self._extractor().submit(view, self.case.info)
            self._pending[sha256] = (future, name, depth, parent, relation)

    def record_finished_extractions(self, block: bool = True, wait_one: bool = False) -> int:
        """Record every finished extraction, whichever item it belongs to (not only the
        one whose stage calls this): their events, warnings and derived items, each
        through the store stage. With `block`, wait until none is pending; with
        `wait_one`, until at least one is done. Returns how many were recorded."""
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
                if job is None:  # taken meanwhile by a nested call (derived items)
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
        with Step(self.case) as step:
            step.line("warned", sha256=sha256, reason=reason)
            step.index(lambda idx: idx.set_state("not_extracted_reason", reason))

    def let_waiting_go(self) -> int:
        """On a stop (Ctrl+C, SIGTERM): forget the items not handed to a worker yet, so
        that closing waits only for those in flight, not for a backlog of OCR. They
        stay stored without an extraction; the next start reads them (`extract_missing`)."""
        n = len(self._waiting)
        self._waiting.clear()
        return n

    @property
    def busy(self) -> bool:
        """True while extractions are under way."""
        return bool(self._pending or self._waiting)

    def warm_up(self, count: int | None = None) -> None:
        """Start the plugin workers now (`count` of them; all by default): the watcher
        at start, ``intake ingest`` at its first file, so that a worker loads the
        plugins while the file is read and copied, not after."""
        if self.sandbox:
            self._extractor().warm_up(count)

    def _extractor(self) -> WorkerPool:
        if self._pool is None:
            self._pool = WorkerPool(self.case.config.plugin_folders,
                                    timeout=self.case.config.plugin_timeout,
                                    spool_dir=self.case.config.state_dir)
        return self._pool

    def extract_missing(self) -> int:
        """Start the extraction of stored items that have none (an interrupted run)."""
        n = 0
        for sha, name, parent, relation in self.case.index.items_without_extraction():
            if sha not in self._pending and sha not in self._waiting:
                self.start_extraction(sha, name, 0, parent, relation)
                n += 1
        return n

    def plugin_set(self) -> list[dict[str, Any]]:
        """The extract plugins as this run loaded them (name, version, code hash, MIME types)."""
        if self._plugins is None:
            self._plugins = extract_plugins(self.case.pm)
        return self._plugins

    def _extraction_records(self, sha256: str) -> dict[str, dict[str, Any] | None]:
        """An item's extraction records so far, each read from a verified copy."""
        out: dict[str, dict[str, Any] | None] = {}
        for rel, digest in self.case.index.meta_hashes(f"{meta_dir(sha256)}/").items():
            if record_number(rel):
                raw = verified_meta(self.case.available, rel, digest)
                out[rel] = json.loads(raw) if raw is not None else None
        return out

    def waiting_for_reread(self, plugin: str | None = None) -> dict[str, list[str]]:
        """Items a new or changed plugin may read better: sha256 -> those plugins.

        With `plugin`, the items that plugin may read, changed or not
        (``intake extract --plugin``).
        """
        current = self.plugin_set()
        by_name = {p["plugin"]: p for p in current}
        out: dict[str, list[str]] = {}
        for sha, mime, latest in self.case.index.latest_readings():
            if plugin is not None:
                if plugin in by_name and may_read(latest, mime, by_name[plugin]):
                    out[sha] = [plugin]
            else:
                names = waits(latest, mime, current)
                if names:
                    out[sha] = names
        return out

    def reread(self, items: dict[str, str]) -> int:
        """Read stored items again (sha256 -> why), in the background: `record_finished_extractions` records them.

        Each reading is a new extraction record beside the earlier ones.
        """
        n = 0
        for sha, why in items.items():
            if sha in self._pending or sha in self._waiting or not self.case.index.has_item(sha):
                continue
            self._again[sha] = why
            _, name, parent, relation = self.case.index.item_origin(sha)
            self.start_extraction(sha, name, 0, parent, relation)
            n += 1
        self.reread_total += n
        return n

    def reread_changed(self) -> tuple[int, list[str]]:
        """At start: read again what new or changed plugins may read better.

        Returns how many items and which plugins. Runs in the background with
        the other extractions; `on_reread(done, total)` follows the progress.
        """
        waiting = self.waiting_for_reread()
        plugins = sorted({p for names in waiting.values() for p in names})
        why = {sha: "new or changed plugin: " + ", ".join(names) for sha, names in waiting.items()}
        n = self.reread(why)
        if n and self.on_reread:
            self.on_reread(self.reread_done, self.reread_total)
        return n, plugins

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
        # the events as JSON bytes, checked batch by batch as the plugin worker sent
        # them: never 100,000 Python objects at once (issue 19.3); a result that holds
        # them as objects (the in-process path) is encoded here the same way
        events = result.events or EncodedEvents(case.info)
        if result.events is None and ex is not None:
            events.add_all(ex.events, checked=True)  # check_extraction did
        data: dict[str, Any] = {
            "plugin": result.plugin, "version": result.version,
            "kind": ex.kind if ex else "", "facts": to_plain(ex.facts) if ex else {},
            "warnings": (list(ex.warnings) if ex else []) + result.warnings,
            "runs": to_plain(result.runs), "derived": [],
        }
        if ex is None:
            data["warnings"].append("no plugin could read this file; it is stored and listed")
        derived = list(ex.derived) if ex else []
        result.extraction = ex = None
        result.events = None
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
        item = case.index.item(sha256) or {}
        data["offered"] = offered_set(self.plugin_set(), item.get("mime", ""))
        data["extracted_at"] = now_utc()
        earlier = self._extraction_records(sha256)
        rel = record_rel(meta_dir(sha256), len(earlier) + 1)
        blob = events.record(data)  # a phone backup's: pieces of a temporary file
        with Step(case) as step:
            digest = step.meta(rel, blob)
            again = {}
            if earlier:  # a new record beside the old ones, never over them (issue 17)
                why = self._again.pop(sha256, "") or "read again"
                again = {"record": len(earlier) + 1, "earlier": sorted(earlier), "reason": why}
            step.line("extracted", sha256=sha256, plugin=result.plugin, version=result.version,
                      events=events.count, derived=len(data["derived"]),
                      runs=[{"plugin": r.plugin, "version": r.version, "status": r.status}
                            for r in result.runs], meta={rel: digest}, **again)
            for warning in data["warnings"]:
                step.line("warned", sha256=sha256, reason=warning)
            records = [(r, loaded) for r, loaded in earlier.items() if loaded is not None]
            whole = None if events.exact else bytes(blob)  # the rare slow path reads it
            if isinstance(blob, RecordBytes):
                blob.close()
            del blob  # the index is made from the compact bytes: a hundred megabytes less
            step.index(self._index_change(sha256, rel, digest, whole, data, events, records))
        if again:
            self.reread_done += 1
            if self.on_reread:
                self.on_reread(self.reread_done, self.reread_total)
        for child, child_name, child_relation in children:
            if not case.index.has_extraction(child):
                self.start_extraction(child, child_name, depth + 1, sha256, child_relation)

    def _index_change(self, sha256: str, rel: str, digest: str, whole: bytes | None,
                      data: dict[str, Any], events: EncodedEvents,
                      records: list[tuple[str, dict[str, Any]]]) -> Callable[[Any], None]:
        """The index's part of recording an extraction, applied by the step after the
        custody line, in its transaction: the record that counts (`chosen`) and its events.

        `data` is the new record without its events; when it is the one that
        counts, the index's JSON is put together from `events`' bytes. `whole`:
        the record's bytes, when they must be read back (`events.exact` False).
        """
        def apply(index: Any) -> None:
            best = chosen([*records, (rel, data)])
            raw = None
            if best is not None and best.get("record") == rel:
                try:
                    raw = events.index_data(best) if events.exact else None
                except (TypeError, ValueError):  # orjson cannot encode it exactly: the old path
                    raw = None
                if raw is None:
                    read = whole if whole is not None else verified_meta(self.case.available,
                                                                         rel, digest)
                    best = chosen([*records, (rel, json.loads(read or b"{}"))])
            if raw is not None:
                index.set_extraction_json(sha256, data["plugin"], data["version"], data["kind"],
                                          raw, events.rows)
                if isinstance(raw, RecordBytes):
                    raw.close()
            else:
                index.set_extraction(sha256, best or data)
        return apply

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
        with Step(case) as step:
            digest = step.meta(rel, dumps(origin))
            step.line("derived", sha256=sha, parent=parent, relation=relation, name=name,
                      meta={rel: digest})
            step.index(lambda idx: idx.add_origin(sha, parent, relation, name, event_key, n))
        return sha
