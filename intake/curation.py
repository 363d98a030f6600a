"""The adviser's decisions (persons, notes, tags, stars, include/exclude, category).

Curation is never evidence and never changes an item: each decision is one
append-only record, written as ``meta/curation/<rid>.json`` in every replica
(read-only, its SHA-256 in the custody line, so ``verify`` checks it and
``repair`` and catch-up restore it) and as a ``curated`` line in the custody
log, which ``reindex`` reads back. A later record undoes an earlier one
(``unstar`` after ``star``, ``default`` after ``exclude``, an empty note).

Entries are addressed by a stable id (``e-`` + 12 hex digits of SHA-256 of
``<exhibit sha256>:<event key>``): it depends only on the item and the
plugin's key for the event, never on the entry's place in the chronology,
so it survives new items, ``--from``/``--to`` and ``reindex``. Records name
the sources (exhibit, event key) of the entry, and apply to whichever entry
shows one of them. Folding the records is a pure function of them, used by
the chronology builder (docs/chronology-format.md).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .errors import IntakeError
from .phones import e164, same_number_key
from .recording import Step
from .types import CATEGORIES

RECORD_FORMAT = "intake-curation/1"
ROLES = ("victim", "suspect", "witness", "friend", "other")
REPORTS = ("police", "ombudsman")
#: What `intake entry` can record about an entry.
ENTRY_ACTIONS = ("note", "tag", "untag", "star", "unstar", "include", "exclude", "default",
                 "category")
ID_PREFIX = "e-"
ID_HEX = 12
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


# --------------------------------------------------------------------------- ids

def event_ref(event_key: str, index: int) -> str:
    """What a record names an event by: the plugin's key, or its position if it has none."""
    return event_key or f"#{index}"


def source_id(exhibit: str, event_key: str) -> str:
    """The stable id of one source of an entry (``e-3f9a1c2b7d01``)."""
    digest = hashlib.sha256(f"{exhibit}:{event_key}".encode()).hexdigest()
    return ID_PREFIX + digest[:ID_HEX]


# --------------------------------------------------------------------------- folding

def empty_state() -> dict[str, Any]:
    """An entry's curation when the adviser decided nothing about it."""
    return {"note": "", "tags": [], "star": False, "police": "", "ombudsman": "",
            "records": []}


def apply_entry_record(state: dict[str, Any], rec: Mapping[str, Any]) -> None:
    """Fold one entry record into an entry's state (in custody order)."""
    action, value = rec.get("action"), rec.get("value")
    if action == "note":
        state["note"] = str(value or "")
    elif action == "tag":
        state["tags"] = sorted(set(state["tags"]) | {str(v) for v in value or ()})
    elif action == "untag":
        state["tags"] = sorted(set(state["tags"]) - {str(v) for v in value or ()})
    elif action in ("star", "unstar"):
        state["star"] = action == "star"
    elif action in ("include", "exclude", "default"):
        for report in value or ():
            if report in REPORTS:
                state[report] = "" if action == "default" else action
    elif action == "category":
        state["category"] = str(value or "")
    state["records"].append(str(rec.get("rid") or ""))


def entry_states(records: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], list[dict]]:
    """Entry records by the source they name ((exhibit, event ref)) and by the entry id
    they were given for (("id", id)), each list in custody order (``seq``)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for rec in sorted(records, key=lambda r: int(r.get("seq") or 0)):
        if rec.get("kind") != "entry":
            continue
        keys = {(str(src.get("exhibit") or ""), str(src.get("event_key") or ""))
                for src in rec.get("sources") or ()}
        if rec.get("entry"):
            keys.add(("id", str(rec["entry"])))
        for key in keys:
            out.setdefault(key, []).append(dict(rec))
    return out


def fold_entry(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """An entry's curation from the records naming any of its sources (each once)."""
    state = empty_state()
    seen: set[str] = set()
    for rec in sorted(records, key=lambda r: int(r.get("seq") or 0)):
        rid = str(rec.get("rid") or "")
        if rid in seen:
            continue
        seen.add(rid)
        apply_entry_record(state, rec)
    return state


def fold_persons(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The case's persons after every person record, in custody order, sorted by id."""
    people: dict[str, dict[str, Any]] = {}
    for rec in sorted(records, key=lambda r: int(r.get("seq") or 0)):
        if rec.get("kind") != "person":
            continue
        pid = str(rec.get("person") or "")
        if rec.get("action") == "remove":
            people.pop(pid, None)
            continue
        p = people.setdefault(pid, {"id": pid, "role": "other", "name": "",
                                    "identifiers": [], "note": "", "records": []})
        for field in ("role", "name", "note"):
            if rec.get(field):
                p[field] = str(rec[field])
        known = {(i["kind"], i["value"]) for i in p["identifiers"]}
        for ident in rec.get("identifiers") or ():
            pair = (str(ident.get("kind")), str(ident.get("value")))
            if pair not in known:
                known.add(pair)
                p["identifiers"].append({"kind": pair[0], "value": pair[1]})
        p["identifiers"].sort(key=lambda i: (i["kind"], i["value"]))
        p["records"].append(str(rec.get("rid") or ""))
    return sorted(people.values(), key=lambda p: _person_order(p["id"]))


def _person_order(pid: str) -> tuple[int, str]:
    digits = pid.lstrip("p")
    return (int(digits) if digits.isdigit() else 1 << 30, pid)


# --------------------------------------------------------------------------- persons

def identifier(kind: str, text: str) -> dict[str, str]:
    """One person identifier, normalised; IntakeError with a plain reason if it is not one."""
    raw = text.strip()
    if kind == "phone":
        norm = e164(raw)
        if norm is None:
            raise IntakeError(f"{raw!r} is not a phone number intake can read (write it as "
                              "0468 99 01 23 or +32 468 99 01 23)")
        return {"kind": "phone", "value": norm}
    if kind == "email":
        if not _EMAIL.fullmatch(raw):
            raise IntakeError(f"{raw!r} is not an e-mail address")
        return {"kind": "email", "value": raw.lower()}
    if not raw:
        raise IntakeError("a handle cannot be empty")
    return {"kind": "handle", "value": raw.lstrip("@").casefold()}


def entry_identifiers(entry: Mapping[str, Any]) -> set[tuple[str, str]]:
    """Who an entry names (number, e-mail addresses, names and handles), as identifiers."""
    facts = entry.get("facts") or {}
    out: set[tuple[str, str]] = set()
    number = facts.get("number") if isinstance(facts, Mapping) else None
    if isinstance(number, str) and not facts.get("withheld"):
        norm = e164(number)
        if norm:
            out.add(("phone", norm))
    texts = [str(entry.get("who") or "")] + [str(t) for t in entry.get("to") or ()]
    if isinstance(facts, Mapping) and isinstance(facts.get("contact"), str):
        texts.append(facts["contact"])
    for text in texts:
        for mail in _EMAIL.findall(text):
            out.add(("email", mail.lower()))
        bare = _EMAIL.sub("", text).strip(" <>()\"'")
        if bare:
            out.add(("handle", bare.lstrip("@").casefold()))
        for chunk in re.findall(r"\+?[\d][\d ./()-]{6,}\d", text):
            norm = e164(chunk)
            if norm:
                out.add(("phone", norm))
    # what OCR read in a picture: numbers, addresses and @handles as written
    for written in facts.get("ocr_identifiers") or () if isinstance(facts, Mapping) else ():
        written = str(written).strip()
        if _EMAIL.fullmatch(written):
            out.add(("email", written.lower()))
        elif written.startswith("@") and len(written) > 1:
            out.add(("handle", written[1:].casefold()))
        elif e164(written):
            out.add(("phone", str(e164(written))))
    return out


def match_persons(entry: Mapping[str, Any], persons: list[Mapping[str, Any]]) -> list[str]:
    """Ids of the persons whose identifiers the entry names."""
    if not persons:
        return []
    ids = entry_identifiers(entry)
    return [p["id"] for p in persons
            if any((i["kind"], i["value"]) in ids for i in p.get("identifiers") or ())]


def number_key(number: str | None) -> str:
    return same_number_key(number)


# --------------------------------------------------------------------------- addressing

def entry_ids(entry: Mapping[str, Any]) -> set[str]:
    """Every id an entry answers to: its own and each of its sources' (an entry that
    merged with a later copy of the same SMS keeps answering to its old id)."""
    ids = {str(entry.get("id") or "")}
    for s in entry.get("sources") or ():
        if s.get("event_key"):
            ids.add(source_id(str(s.get("exhibit")), str(s.get("event_key"))))
    return ids - {""}


def resolve_entries(doc: Mapping[str, Any], refs: Iterable[str]) -> list[dict]:
    """The entries named by ids (``e-3f9a1c2b7d01``, or a unique start of one, at least
    ``e-`` + 4 digits) or by numbers of this build of the chronology."""
    entries = list(doc.get("entries") or []) + list(doc.get("undated") or [])
    out: list[dict] = []
    for raw in refs:
        ref = raw.strip().lower()
        if ref.isdigit():
            hit = [e for e in entries if e.get("number") == int(ref)]
            if not hit:
                raise IntakeError(f"the chronology has no entry {ref} (it has {len(entries)}); "
                                  "see 'intake entry list'")
        else:
            if not ref.startswith(ID_PREFIX) or len(ref) < len(ID_PREFIX) + 4:
                raise IntakeError(f"{raw!r} is not an entry: give its id (like e-3f9a1c2b7d01, "
                                  "from 'intake entry list') or its number")
            hit = [e for e in entries if any(i.startswith(ref) for i in entry_ids(e))]
            if not hit:
                raise IntakeError(f"no entry has the id {raw}; see 'intake entry list'")
            if len(hit) > 1:
                raise IntakeError(f"{raw} fits {len(hit)} entries; give more of the id")
        if hit[0] not in out:
            out.append(hit[0])
    return out


def entry_target(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What a record about an entry names: its id and its sources."""
    return {"entry": str(entry.get("id") or ""),
            "sources": [{"exhibit": str(s.get("exhibit")), "event_key": str(s.get("event_key"))}
                        for s in entry.get("sources") or () if s.get("event_key")]}


# --------------------------------------------------------------------------- storing

def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_bytes(rec: Mapping[str, Any]) -> bytes:
    return json.dumps(rec, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def store_record(case: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    """Keep one record: a read-only file in every replica, a custody line, the index.

    Returns the record with its ``rid`` (the first 16 hex digits of its file's
    SHA-256) and ``seq`` (its custody line).
    """
    if not case.available:
        raise IntakeError("no replica of the store is available: the decision cannot be kept")
    rec = {"format": RECORD_FORMAT, "at": now_utc(), "by": "adviser", **data}
    body = record_bytes(rec)
    digest = hashlib.sha256(body).hexdigest()
    rid = digest[:16]
    rel = f"curation/{rid}.json"
    step = Step(case)
    step.meta(rel, body, what="a curation record")
    if not step.written[rel]:
        del step.meta_hashes[rel]  # no replica holds it: the index must not expect it
        step.record()  # the replicas' warnings are kept
        raise IntakeError("no replica could be written: the decision was not kept")
    step.line("curated", rid=rid, record=rec, meta={rel: digest})
    # the record's line number is its sequence: known once the line is appended
    step.index(lambda idx: idx.add_curation(case.log.seq, rid, rec))
    seq = step.record()
    return {**rec, "rid": rid, "seq": seq}


def decide(case: Any, refs: Iterable[str], data: Mapping[str, Any],
           kinds: Iterable[str] | None = None) -> list[dict]:
    """Keep one decision about entries (ids or numbers): ``intake entry`` and ``intake
    serve`` both call this. Returns the entries as the chronology now shows them."""
    from .reporting import build_doc

    refs = list(refs)
    if not refs:
        raise IntakeError("name at least one entry (its id, e.g. e-3f9a1c2b7d01, or number)")
    entries = resolve_entries(build_doc(case), refs)
    if kinds:
        wrong = [e for e in entries if e["kind"] not in tuple(kinds)]
        if wrong:
            raise IntakeError(f"entry {wrong[0]['number']} ({wrong[0]['id']}) is of the kind "
                              f"{wrong[0]['kind']}: the ombudsman request holds only "
                              "calls, SMS and MMS")
    for e in entries:
        store_record(case, {"kind": "entry", **data, **entry_target(e)})
    doc = build_doc(case)
    after = {e["id"]: e for e in doc["entries"] + doc["undated"]}
    return [after.get(e["id"], e) for e in entries]


def next_person_id(records: Iterable[Mapping[str, Any]]) -> str:
    used = [_person_order(str(r.get("person") or ""))[0] for r in records
            if r.get("kind") == "person"]
    return f"p{max([n for n in used if n < 1 << 30], default=0) + 1}"


def check_category(value: str) -> str:
    if value not in ("", *CATEGORIES):
        raise IntakeError(f"unknown category {value!r}; known: {', '.join(CATEGORIES)}")
    return value
