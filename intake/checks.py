"""Checking and healing: verify, repair, reindex, status.

verify re-hashes every object in every available replica, checks every
metadata file against the hash the custody log recorded for it, checks each
replica's custody chain, and compares the index with the log. repair puts a
verified copy from a healthy replica in place of a missing or damaged one
(the damaged one is set aside in the replica's ``damaged/`` folder, never
deleted) and never "repairs" from a copy that does not match. reindex
rebuilds the SQLite index from one replica alone.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import verified
from .custody_chain import records
from .inbox import left_in_inbox
from .recording import Step, record_line
from .reindex import reindex
from .replica import Replica, copy_object, meta_reader, verified_copy, verified_meta
from .verified import expected_meta, log_items

if TYPE_CHECKING:
    from .case import Case

__all__ = ["Problem", "repair", "reindex", "status", "verify"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong, said so that a person can find it."""

    what: str  # missing-copy, damaged-copy, damaged-meta, missing-meta, custody, index, ...
    message: str
    replica: str = ""
    sha256: str = ""
    repairable: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "message": self.message, "replica": self.replica,
                "sha256": self.sha256, "repairable": self.repairable}


def _label(case: Case, sha256: str) -> str:
    names = case.index.names(sha256)
    sha256 = str(sha256)  # an edited index may hold a NULL key: named, not a crash
    return f"{sha256[:12]}… ({names[0]})" if names else f"{sha256[:12]}…"


def _check_replica(rep: Replica, items: list[str], meta: dict[str, str],
                   tick: Callable[[], None], read_data: bool,
                   keep: dict[str, bytes] | None = None,
                   meta_done: threading.Event | None = None,
                   ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], int]:
    """Re-hash one replica's metadata files, then its objects: (bad objects as (what,
    sha256), bad metadata files as (what, rel), number of good objects). Reads only.

    A metadata file whose SHA-256 is the one the log recorded goes into `keep` (the
    first replica's good copy wins): the verified index is built from those bytes,
    so no file is read twice (issue 19, point 6). `meta_done` is set once every
    metadata file was looked at, whatever happened.
    """
    bad_meta: list[tuple[str, str]] = []
    read_meta = meta_reader(rep)
    try:
        for rel, digest in meta.items():
            data = read_meta(rel)
            if data is None:
                bad_meta.append(("missing-meta", rel))
            elif hashlib.sha256(data).hexdigest() != digest:
                bad_meta.append(("damaged-meta", rel))
            elif keep is not None:
                keep.setdefault(rel, data)  # atomic: the threads share it
    finally:
        if meta_done is not None:
            meta_done.set()
    bad_objects: list[tuple[str, str]] = []
    ok = 0
    for sha in items:
        held = rep.hash_object(sha, read_data)
        if held is None:
            bad_objects.append(("missing-copy", sha))
        elif held != sha:
            bad_objects.append(("damaged-copy", sha))
        else:
            ok += 1
        tick()
    return bad_objects, bad_meta, ok


def verify(case: Case, progress: Callable[[int, int], None] | None = None,
           read_data: bool = False) -> tuple[list[Problem], dict]:
    """Check everything; returns the problems and a summary of what was checked.

    A remote kind checks its objects by the checksum its service keeps;
    `read_data` has it download and re-hash them instead (a folder always re-reads).
    """
    problems: list[Problem] = []
    idx = case.index
    recs = records(case.log.lines)
    # Expected hashes come from the custody log, never from the index (a cache anyone
    # with write access can edit); items too: the index may have lost or gained some.
    meta = expected_meta(recs)
    items = sorted(log_items(recs))
    summary = {"items": len(items), "replicas": {}, "objects_checked": 0, "meta_checked": 0,
               "custody_lines": case.log.seq, "custody_head": case.log.head}
    for name, reason in case.unavailable.items():
        summary["replicas"][name] = f"not available: {reason}"

    # custody log, per replica (read-only: as read at open, the head at start)
    for rep in case.available:
        kind, detail, _ = case.log.replica_state(rep)
        said = {"problem": f": {detail}", "differs": f" {detail}", "behind": f" is {detail}"}
        if kind:
            problems.append(Problem("custody", f"replica {rep.name}: custody log{said[kind]}",
                                    rep.name))
    for words in case.rollback:
        problems.append(Problem("rollback", words, repairable=False))
    total = len(items) * max(1, len(case.available))
    counted = {"done": 0}
    lock = threading.Lock()

    def tick() -> None:
        with lock:
            counted["done"] += 1
            if progress:
                progress(counted["done"], total)

    # One thread per replica: each re-reads its own disk (hashlib lets go of the
    # GIL), so two replicas take the time of one, not of both (issue 19, point 6).
    # They start first, so that the index check below (Python and SQLite, in this
    # thread, which owns the index's connection) runs while they read.
    # The threads only read and hash; problems are worded here, in this thread.
    seq = int(idx.state("custody_seq", "0") or 0)
    # A writer at work is writing its index as we read it: the index is judged when it rests.
    live = case.log.live_writer
    # The replicas' good metadata files are kept for the index check (never read twice),
    # when there is one to make.
    keep: dict[str, bytes] | None = {} if not live and seq == case.log.seq else None
    read = [threading.Event() for _ in case.available]
    with ThreadPoolExecutor(max_workers=max(1, len(case.available))) as pool:
        jobs = [pool.submit(_check_replica, r, items, meta, tick, read_data, keep, done)
                for r, done in zip(case.available, read, strict=True)]
        if not live:
            for sha in sorted(set(idx.all_items()) - set(items), key=str):
                problems.append(Problem("index", f"the index knows item {_label(case, sha)}, which "
                                                 "the custody log does not record: it was cut from "
                                                 "the log, or the index was edited", sha256=str(sha),
                                        repairable=False))
        if not live and seq != case.log.seq:
            problems.append(Problem("index", f"the index knows {seq} custody lines, the log has "
                                             f"{case.log.seq}; run 'intake reindex'"))
        elif not live:
            for done in read:  # every replica's metadata files looked at: `keep` is whole
                done.wait()
            with verified.built(case, recs, keep, copies=False) as truth:
                for sha, words in verified.differences(idx, truth.index, lambda s: _label(case, s)):
                    problems.append(Problem("index", words + "; run 'intake reindex'", sha256=sha))
        found = [job.result() for job in jobs]
    for rep, (bad_objects, bad_meta, ok) in zip(case.available, found, strict=True):
        for what, sha in bad_objects:
            if what == "missing-copy":  # every available replica should hold every item
                problems.append(Problem(what, f"replica {rep.name}: item "
                                              f"{_label(case, sha)} is missing", rep.name, sha))
            else:
                problems.append(Problem(what, f"replica {rep.name}: item "
                                              f"{_label(case, sha)} is damaged (its "
                                              "SHA-256 no longer matches)", rep.name, sha))
        for what, rel in bad_meta:
            sha = rel.split("/")[1] if "/" in rel else ""
            if what == "missing-meta":
                # reported even when the object is gone too: restoring the object alone
                # would leave the replica unable to rebuild the index on its own
                problems.append(Problem(what, f"replica {rep.name}: metadata file "
                                              f"meta/{rel} is missing", rep.name, sha))
            else:
                problems.append(Problem(what, f"replica {rep.name}: metadata file "
                                              f"meta/{rel} was altered or damaged", rep.name, sha))
        summary["objects_checked"] += len(items)
        summary["meta_checked"] += len(meta)
        summary["replicas"][rep.name] = f"{ok} of {len(items)} items verified"

    # a copy the replica's thread re-hashed to its name just now is there and good
    bad = {(p.replica, p.sha256) for p in problems if p.what in ("missing-copy", "damaged-copy")}
    for sha in items:
        good = [r for r in case.available if (r.name, sha) not in bad]
        if len(good) < case.config.min_copies:
            problems.append(Problem("too-few-copies", f"item {_label(case, sha)} has "
                                                      f"{len(good)} good copies; "
                                                      f"{case.config.min_copies} are required",
                                    sha256=sha, repairable=bool(good)))
        if not good and case.available:
            problems.append(Problem("unrecoverable", f"item {_label(case, sha)}: no replica "
                                                     "holds a good copy; it cannot be repaired",
                                    sha256=sha, repairable=False))
    return problems, summary


def repair(case: Case, log_event: bool = True) -> tuple[list[str], list[Problem]]:
    """Fix what verify finds from healthy copies; returns (actions, what is left)."""
    actions: list[str] = []
    problems, _ = verify(case)
    expected = expected_meta(records(case.log.lines))  # the log's hashes, never the index's
    for rep in case.available:
        n = rep.clean_temp()
        if n:
            actions.append(f"replica {rep.name}: removed {n} half-written temporary copies")
    # custody logs first: later repairs append lines to them
    for p in problems:
        if p.what == "custody":
            rep = case.replica(p.replica)
            assert rep is not None
            _repair_log(case, rep)
            actions.append(f"replica {rep.name}: custody log restored from the healthy copies")
            record_line(case, "repaired", replica=rep.name, what="custody log")
    for p in problems:
        if p.what in ("missing-copy", "damaged-copy"):
            rep = case.replica(p.replica)
            assert rep is not None
            source = verified_copy(case.available, p.sha256, exclude=rep)
            if source is None:
                continue
            copy_object(source, rep, p.sha256)  # a damaged copy in the way is set aside
            with Step(case) as step:
                step.line("repaired", sha256=p.sha256, replica=rep.name,
                          what="missing copy" if p.what == "missing-copy" else "damaged copy",
                          source=source.name)
                step.index(lambda idx, s=p.sha256, name=rep.name: idx.set_copy(s, name))
            actions.append(f"replica {rep.name}: item {_label(case, p.sha256)} restored")
        elif p.what in ("missing-meta", "damaged-meta"):
            rep = case.replica(p.replica)
            assert rep is not None
            rel = p.message.split("meta/", 1)[1].split(" ", 1)[0]
            data = verified_meta(case.available, rel, expected.get(rel), exclude=rep)
            if data is None:
                continue
            if rep.read_meta(rel) is not None:
                rep.set_aside_meta(rel)  # the damaged one is kept, never deleted
            rep.write_meta(rel, data)  # an error here stops the repair, as before
            record_line(case, "repaired", replica=rep.name, meta=rel, what=p.what)
            actions.append(f"replica {rep.name}: metadata meta/{rel} restored")
    if any(p.what == "index" for p in problems):
        # the index is a cache: rebuilt from the verified evidence, never patched
        reindex(case)
        actions.append("index rebuilt from the metadata files the custody log vouches for")
    elif case.log.seq != int(case.index.state("custody_seq", "0") or 0):
        case.index.set_state("custody_seq", str(case.log.seq))
    left, _ = verify(case)
    return actions, left


def _repair_log(case: Case, rep: Replica) -> None:
    """Make a replica's log segments identical to the healthy log's; set bad ones aside."""
    best = case.log.best if case.log.best in case.available else None
    if best is None or best is rep:
        return
    wanted = dict(best.read_custody())
    have = dict(rep.read_custody())
    for name, data in list(have.items()):
        good = wanted.get(name)
        if good is None or not good.startswith(data):
            rep.set_aside_custody(name)
            have.pop(name)
    for name, data in wanted.items():
        held = have.get(name, b"")
        if held != data:
            rep.append_custody(name, data[len(held):])
    case.log.add_replica(rep)  # checked again: written to from now on if it is whole


def status(case: Case) -> dict[str, Any]:
    """What a person wants to see at a glance, as plain data."""
    idx = case.index
    counts = idx.counts()
    waiting = []
    for sha in idx.all_items():
        copies = idx.copies(sha)
        if len(copies) < len(case.replicas):
            waiting.append({"sha256": sha, "names": idx.names(sha), "copies": copies,
                            "needed": case.config.min_copies,
                            "missing_in": [r.name for r in case.replicas if r.name not in copies]})
    replicas = []
    for rep in case.replicas:
        entry = {"name": rep.name, "path": rep.describe(),
                 "available": rep in case.available,
                 "reason": case.unavailable.get(rep.name, "")}
        if rep in case.available:
            entry["items"] = sum(1 for _ in rep.list_objects())
        replicas.append(entry)
    cfg = case.config
    inbox_rel = cfg.rel(cfg.inbox) + "/"
    inbox_waiting = idx.unsettled_sources(inbox_rel)
    left = left_in_inbox(cfg.inbox, cfg.ignore, cfg.temporary_seconds, idx.settled_to_paths(),
                         {p["source"] for p in idx.problems()} | set(inbox_waiting), cfg.rel)
    return {
        "case": case.config.name,
        "case_dir": str(case.config.case_dir),
        "counts": counts,
        "custody_lines": case.log.seq,
        "custody_head": case.log.head,
        "custody_rollback": list(case.rollback),
        "index_up_to_date": int(idx.state("custody_seq", "0") or 0) == case.log.seq,
        "min_copies": case.config.min_copies,
        "replicas": replicas,
        "waiting_for_copies": waiting,
        "originals_still_in_inbox": inbox_waiting,
        "files_not_taken": idx.problems(),
        "left_in_inbox": left,  # temporary names, ignored, unreadable, dropped in ingested/
        "not_extracted": [{"sha256": sha, "names": idx.names(sha),
                           "reason": idx.state("not_extracted_reason")
                           or "not extracted yet: waiting for the plugins"}
                          for sha, *_ in idx.items_without_extraction()],
        "items_with_warnings": [{"sha256": s, "names": idx.names(s), "warnings": w}
                                for s, w in idx.items_with_warnings()],
        "ocr_not_read": ocr_not_read(case),
    }


def ocr_not_read(case: Case) -> dict[str, Any] | None:
    """Pictures whose text the plugins could not read because OCR is missing: one line's worth.

    Plugins record ``facts.ocr = "unavailable"`` with the reason on each such
    item; people are told once, with the count, not once per picture.
    """
    # instr first: a plain scan of the text, so that a phone backup's extraction of a
    # hundred megabytes is not parsed as JSON after every ingest (issue 19)
    rows = case.index.db.execute(
        "SELECT json_extract(data, '$.facts.ocr_reason') FROM extractions "
        "WHERE instr(data, 'unavailable') > 0 "
        "AND json_extract(data, '$.facts.ocr') = 'unavailable'").fetchall()
    if not rows:
        return None
    return {"count": len(rows), "reason": str(rows[0][0] or "")}
