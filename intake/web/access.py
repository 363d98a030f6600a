"""How the pages reach the case: read-only looks, one writer, the timeline cache.

Reading opens the case read-only (as ``intake status`` does), so the pages
work beside a watcher in another process. Writing (a curation decision,
verify's log line, a report, storing uploads) goes through one door: the
watcher's own thread when ``intake serve --watch`` runs it in this process,
else a short writing open of the case, one at a time. The timeline is the
chronology built from the verified facts, as the reports are, loaded into
an in-memory SQLite table with full-text search (``intake.timeline.Timeline``)
and rebuilt when the custody log grows.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..case import Case
from ..config import load_config
from ..errors import CaseLockedError, IntakeError
from ..reporting import build_doc
from ..timeline import Timeline

#: Said when another program holds the case (a reason: translated by intake.messages).
LOCKED = ("another intake program (the watcher?) is working on this case, so this cannot "
          "be saved from here; stop it, or start 'intake serve --watch' instead of both")


def search_text(entry: dict[str, Any], names: dict[str, list[str]]) -> str:
    """The words an entry is found by: what was written (messages, e-mail bodies,
    logbook, any text a plugin read, such as OCR), who, and the exhibits' names."""
    parts: list[str] = [str(entry.get("what") or ""), str(entry.get("who") or "")]
    parts += [str(t) for t in entry.get("to") or []]

    def walk(value: Any) -> None:
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)
    walk(entry.get("facts") or {})
    c = entry.get("curation") or {}
    parts += [str(c.get("note") or ""), *[str(t) for t in c.get("tags") or []]]
    for sha in entry.get("exhibits") or []:
        parts += names.get(sha, [])
    return "\n".join(p for p in parts if p)


class CaseAccess:
    def __init__(self, case_dir: Path) -> None:
        self.case_dir = case_dir
        self.config = load_config(case_dir)
        self.watcher = None  # set by `intake serve --watch`
        self.write_lock = threading.Lock()
        self.timeline_lock = threading.Lock()
        self._timeline: Timeline | None = None
        self._signature: tuple = ()
        self.doc_info: dict[str, Any] = {}
        self.exhibits: dict[str, dict[str, Any]] = {}
        self.pm = None

    @contextmanager
    def read(self) -> Iterator[Case]:
        """The case opened read-only: nothing in it is written."""
        case = Case.open(self.case_dir, write=False, pm=self.pm)
        self.pm = case.pm
        try:
            yield case
        finally:
            case.close()

    def write(self, fn: Callable[[Case], Any]) -> Any:
        """Run `fn(case)` as the case's one writer; IntakeError if another program is."""
        if self.watcher is not None:
            return self.watcher.call(fn)
        with self.write_lock:
            try:
                case = Case.open(self.case_dir, pm=self.pm)
            except CaseLockedError:
                raise IntakeError(LOCKED) from None
            with case:
                return fn(case)

    def signature(self) -> tuple:
        """Changes whenever a custody line is written (cheap: file sizes and times)."""
        sig = []
        for rc in self.config.replicas:
            folder = Path(rc.path) / "custody"
            try:
                with os.scandir(folder) as it:
                    for e in it:
                        st = e.stat()
                        sig.append((rc.name, e.name, st.st_size, st.st_mtime_ns))
            except OSError:
                sig.append((rc.name, "absent"))
        return tuple(sorted(sig))

    def timeline(self) -> Timeline:
        """The timeline as the case stands now (rebuilt when the log grew)."""
        with self.timeline_lock:
            sig = self.signature()
            if self._timeline is None or sig != self._signature:
                with self.read() as case:
                    doc = build_doc(case)
                self.load(doc)
                self._signature = sig
            return self._timeline  # type: ignore[return-value]

    def load(self, doc: dict[str, Any]) -> None:
        """Fill a fresh timeline from a built chronology (also used by the bench)."""
        exhibits = {x["sha256"]: x for x in doc.get("exhibits") or []}
        names = {sha: list(x.get("names") or []) for sha, x in exhibits.items()}
        timeline = Timeline()
        timeline.fill(list(doc.get("entries") or []) + list(doc.get("undated") or []),
                      lambda e: search_text(e, names))
        self._timeline = timeline  # the old one is dropped, never closed under a reader
        self.exhibits = exhibits
        self.doc_info = {"root_hash": doc.get("root_hash", ""),
                         "merkle_root": doc.get("merkle_root", ""),
                         "persons": doc.get("persons") or [],
                         "dated": len(doc.get("entries") or []),
                         "undated": len(doc.get("undated") or [])}
