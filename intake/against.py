"""``intake verify --against``: what changed since a bundle or chronology was handed out.

A bundle (``evidence-bundle.zip`` or its unpacked folder) carries the custody
log as it was and the chronology; a chronology.json alone carries the
exhibits and entries. Whoever holds one can ask the case today: is every
custody line, every item and every entry handed out still there, unchanged?
A log that was cut short and re-chained, an item removed from the middle, an
entry whose date or text was changed: each is named, one line each.
"""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .chronology.hashing import all_entries
from .custody_chain import line_hash, records
from .errors import IntakeError
from .verified import log_items

_VOLATILE = ("seq", "prev")  # what re-chaining a log rewrites on every line


@dataclass
class Handed:
    """What was handed out: the chronology and, from a bundle, the custody log."""

    source: str
    chronology: dict | None = None
    log: list[bytes] = field(default_factory=list)


def load(path: Path) -> Handed:
    """Read a bundle zip, an unpacked bundle folder, or a chronology.json."""
    try:
        if path.is_dir():
            chron = next(path.rglob("chronology.json"), None)
            log = next(path.rglob("custody-log.jsonl"), None)
            return Handed(str(path), json.loads(chron.read_bytes()) if chron else None,
                          log.read_bytes().splitlines() if log else [])
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                chron = next((n for n in names if n.endswith("chronology.json")), None)
                log = next((n for n in names if n.endswith("custody-log.jsonl")), None)
                return Handed(str(path), json.loads(zf.read(chron)) if chron else None,
                              zf.read(log).splitlines() if log else [])
        return Handed(str(path), json.loads(path.read_bytes()))
    except (OSError, ValueError, zipfile.BadZipFile, KeyError) as exc:
        raise IntakeError(f"{path}: not a bundle or a chronology.json ({exc})") from exc


def _describe(rec: dict[str, Any]) -> str:
    bits = [str(rec.get("event", "?"))]
    for key in ("name", "source", "format", "plugin", "replica"):
        if rec.get(key):
            bits.append(f"{key} {rec[key]}")
    if isinstance(rec.get("sha256"), str):
        bits.append(f"item {rec['sha256'][:12]}…")
    if rec.get("at"):
        bits.append(f"at {rec['at']}")
    return ", ".join(bits)


def _match_key(rec: dict[str, Any]) -> tuple:
    return tuple(str(rec.get(k, "")) for k in ("at", "event", "sha256", "replica", "receipt",
                                               "plugin", "format"))


def compare_logs(old: list[bytes], now: list[bytes]) -> list[str]:
    """Every custody line handed out that is no longer in the log, or is changed."""
    problems = []
    first = next((n for n, (a, b) in enumerate(zip(old, now, strict=False), 1) if a != b), None)
    if first is None and len(now) < len(old):
        first = len(now) + 1
    if first is not None:
        problems.append(f"the custody log is not a continuation of the one handed out: it "
                        f"differs from line {first} on (the handed-out log ends at line "
                        f"{len(old)}, SHA-256 {line_hash(old[-1]) if old else '-'}; today's at "
                        f"line {len(now)}, SHA-256 {line_hash(now[-1]) if now else '-'})")
    else:
        return problems
    old_recs, now_recs = records(old), records(now)
    plain = Counter(json.dumps({k: v for k, v in r.items() if k not in _VOLATILE},
                               sort_keys=True) for r in now_recs)
    by_key = {_match_key(r): r for r in now_recs}
    for rec in old_recs[first - 1:]:
        text = json.dumps({k: v for k, v in rec.items() if k not in _VOLATILE}, sort_keys=True)
        if plain[text] > 0:
            plain[text] -= 1
            continue
        twin = by_key.get(_match_key(rec))
        if twin is None:
            problems.append(f"custody line {rec.get('seq')} ({_describe(rec)}) was removed")
        else:
            fields = sorted(k for k in set(rec) | set(twin)
                            if k not in _VOLATILE and rec.get(k) != twin.get(k))
            problems.append(f"custody line {rec.get('seq')} ({_describe(rec)}) was changed "
                            f"(now line {twin.get('seq')}; fields: {', '.join(fields)})")
    return problems


def _entry_facts(e: dict) -> dict:
    return {k: e.get(k) for k in ("kind", "instant", "local", "what", "who", "to", "facts")}


def compare_entries(old: dict, now: dict) -> list[str]:
    """Entries of an earlier chronology that today's verified evidence no longer gives."""
    problems = []
    current = all_entries(now)
    for e in all_entries(old):
        if not isinstance(e, dict):
            continue
        srcs = {(s.get("exhibit"), s.get("event_key")) for s in e.get("sources") or ()
                if isinstance(s, dict)}
        twins = [c for c in current
                 if srcs <= {(s["exhibit"], s["event_key"]) for s in c["sources"]}]
        label = f"entry {e.get('number')} ({e.get('kind')}, {e.get('instant') or 'undated'})"
        if not twins:
            problems.append(f"{label} of the chronology handed out is gone: no stored item "
                            "gives it any more")
            continue
        want = _entry_facts(e)
        if not any(_entry_facts(c) == want for c in twins):
            twin = twins[0]
            fields = [k for k in want if want[k] != _entry_facts(twin).get(k)]
            problems.append(f"{label} of the chronology handed out was changed: today the "
                            f"evidence gives another {', '.join(fields)} (entry "
                            f"{twin['number']})")
    return problems


def compare(case: Any, handed: Handed) -> tuple[list[str], dict[str, Any]]:
    """Everything removed or changed since `handed` was made; and what was compared."""
    problems = list(case.rollback)
    now_items = log_items(records(case.log.lines))
    summary: dict[str, Any] = {"handed_out": handed.source, "custody_lines_now": case.log.seq,
                               "custody_head_now": case.log.head}
    if handed.log:
        summary["custody_lines_then"] = len(handed.log)
        summary["custody_head_then"] = line_hash(handed.log[-1])
        problems += compare_logs(handed.log, case.log.lines)
        names: dict[str, str] = {}
        for rec in records(handed.log):
            if rec.get("event") == "received" and rec.get("name"):
                names.setdefault(rec["sha256"], rec["name"])
        for sha in sorted(log_items(records(handed.log)) - now_items):
            problems.append(f"item {sha[:12]}… ({names.get(sha, 'no name recorded')}) was in "
                            "the custody log handed out and is no longer recorded")
    doc = handed.chronology
    if isinstance(doc, dict):
        summary["root_hash_then"] = doc.get("root_hash")
        for x in doc.get("exhibits") or ():
            if not isinstance(x, dict):
                continue
            sha = str(x.get("sha256"))
            where = f"exhibit {x.get('label')} ({sha[:12]}…, {', '.join(x.get('names') or ())})"
            if sha not in now_items:
                problems.append(f"{where} is no longer recorded in the custody log")
            elif case.object_path(sha) is None:
                problems.append(f"{where}: no replica holds it any more")
        try:
            now = chronology_now(case, doc)
        except IntakeError as exc:
            problems.append(str(exc))
            return list(dict.fromkeys(problems)), summary
        summary["root_hash_now"] = now["root_hash"]
        problems += compare_entries(doc, now)
    return list(dict.fromkeys(problems)), summary


def chronology_now(case: Any, doc: dict) -> dict:
    """Today's chronology from the verified evidence, for the same period as `doc`."""
    from .reporting import build_doc

    period = doc.get("period") or {}
    lang = (doc.get("case") or {}).get("language") or case.config.language
    return build_doc(case, lang, date_from=period.get("from"), date_to=period.get("to"))
