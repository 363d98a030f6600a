"""Build the chronology from item records: order, merge, choose, number, hash.

The input is what ``Index.item_records()`` yields (docs/chronology-format.md);
the output is the ``chronology.json`` document as a plain dict, ready for
``canonical_bytes``. Everything here is a pure function of the records'
contents: not of their order, the machine's clock, zone or locale, or dict
ordering. The rules (orders, tie-breaks, merging, hashes) are documented in
docs/chronology.md; keep the two in step.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..curation import entry_states, event_ref, fold_entry, fold_persons, match_persons, source_id
from ..phones import same_number_key
from ..serialize import claim_from_plain
from ..timeclaims import (
    BadTimeClaim,
    format_offset,
    format_utc,
    local_with_offset,
    resolve,
)
from ..types import GRANULARITIES
from .canonical import canonical_bytes, is_fast, sha256_hex
from .merkle import inclusion_proof, merkle_root, verify_inclusion
from .textlinks import text_links

FORMAT = "intake-chronology/1"
PROOF_FORMAT = "intake-chronology-proof/1"
ZERO_HASH = "0" * 64

#: Same-meaning claims further apart than this (beyond their granularity) disagree.
DISAGREE_TOLERANCE = timedelta(minutes=2)
#: Perceptual hashes at most this many bits apart are the same picture. Chosen
#: from measured rates (bench/phash_threshold.py, docs/chronology.md): re-saved,
#: scaled and re-encoded copies are within 4 bits; distinct chat screenshots,
#: which look alike, are 12 or more apart; no distinct corpus pair is within 13.
PHASH_MAX_DISTANCE = 4

#: For each kind, the meanings that best date the fact, best first. Meanings
#: not listed follow in DEFAULT_MEANINGS order; "filed" (file system times)
#: always comes last.
MEANINGS_BY_KIND: dict[str, tuple[str, ...]] = {
    "photo": ("taken", "created", "modified"),
    "screenshot": ("taken", "created", "modified"),
    "email": ("sent", "written", "received"),
    "letter": ("written", "sent", "created", "received", "modified"),
    "message": ("sent", "received", "written"),
    "sms": ("sent", "received"),
    "mms": ("sent", "received"),
    "call": ("called",),
    "logbook": ("happened", "written", "recorded"),
}
DEFAULT_MEANINGS = ("happened", "taken", "sent", "called", "received", "written", "created",
                    "recorded", "modified")
CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}
ZONE_RANK = {"explicit": 0, "utc": 0, "gps": 0, "assumed": 1}
GRANULARITY_RANK = {g: i for i, g in enumerate(GRANULARITIES)}
#: How long a claim of each granularity covers, for the disagreement test.
GRANULARITY_SPAN = {
    "subsecond": timedelta(0), "second": timedelta(seconds=1), "minute": timedelta(minutes=1),
    "hour": timedelta(hours=1), "day": timedelta(days=1), "month": timedelta(days=31),
    "year": timedelta(days=366),
}
CLAIM_FIELDS = ("local", "offset", "utc", "zone", "source", "meaning", "granularity",
                "confidence", "note", "flags")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --------------------------------------------------------------------------- helpers

def _plain(value: Any) -> Any:
    """JSON values the canonical form accepts: floats become their shortest text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 - 1 else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple):
        return [_text(v) for v in value if _text(v)]
    return []


def parse_instant(utc: str) -> datetime:
    """An ISO UTC instant (``...Z``) -> aware datetime."""
    moment = datetime.fromisoformat(utc.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _meaning_rank(kind: str, meaning: str) -> int:
    order = list(MEANINGS_BY_KIND.get(kind, ()))
    order += [m for m in DEFAULT_MEANINGS if m not in order]
    if meaning == "filed":
        return len(order) + 1
    return order.index(meaning) if meaning in order else len(order)


def claim_preference(kind: str, claim: Mapping[str, Any]) -> tuple:
    """The sort key that picks the chosen claim (smallest wins); total."""
    return (
        _meaning_rank(kind, claim["meaning"]),
        1 if "placeholder" in claim["flags"] else 0,
        CONFIDENCE_RANK.get(claim["confidence"], 3),
        ZONE_RANK.get(claim["zone"], 2),
        GRANULARITY_RANK.get(claim["granularity"], len(GRANULARITY_RANK)),
        claim["source"],
        claim["plugin"],
        claim["exhibit"],
        _micros(parse_instant(claim["utc"])),
        claim["local"],
        claim["offset"],
        json.dumps(claim, sort_keys=True, ensure_ascii=False, default=str),
    )


def _disagree(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two claims disagree if the times they cover are more than the tolerance apart."""
    a0, b0 = parse_instant(a["utc"]), parse_instant(b["utc"])
    a1 = a0 + GRANULARITY_SPAN.get(a["granularity"], timedelta(0))
    b1 = b0 + GRANULARITY_SPAN.get(b["granularity"], timedelta(0))
    gap = max(timedelta(0), a0 - b1, b0 - a1)
    return gap > DISAGREE_TOLERANCE


def _one_period(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """The start and the end of one period (a logbook "21:00-21:30"): not two witnesses."""
    marks = {*a["flags"], *b["flags"]} & {"period-start", "period-end"}
    return (marks == {"period-start", "period-end"} and a["exhibit"] == b["exhibit"]
            and a["source"] == b["source"])


_GRAN_WORDS = {"subsecond": "a fraction of a second"}


def _gran_word(g: str) -> str:
    return _GRAN_WORDS.get(g, f"the {g}")


_KIND_WORDS = {"email": "an e-mail", "sms": "an SMS", "mms": "an MMS", "": "a fact"}


def _a_kind(kind: str) -> str:
    if kind in _KIND_WORDS:
        return _KIND_WORDS[kind]
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


def _because(kind: str, claims: list[dict], disagree: bool) -> str:
    """Plain English: why the first claim (already sorted) was chosen."""
    if not claims:
        return "No readable time: the entry is listed as undated."
    best = claims[0]
    head = f"{best['source']} ({best['meaning']}, {best['confidence']} confidence)"
    if len(claims) == 1:
        text = f"{head} is the only time claim."
    else:
        other = claims[1]
        if _meaning_rank(kind, best["meaning"]) != _meaning_rank(kind, other["meaning"]):
            why = (f"for {_a_kind(kind)}, the time it was {best['meaning']} is preferred over "
                   f"the time it was {other['meaning']}")
        elif ("placeholder" in best["flags"]) != ("placeholder" in other["flags"]):
            why = f"{other['source']} looks like a device's default clock"
        elif best["confidence"] != other["confidence"]:
            why = (f"it has {best['confidence']} confidence, {other['source']} "
                   f"{other['confidence']}")
        elif ZONE_RANK.get(best["zone"], 2) != ZONE_RANK.get(other["zone"], 2):
            why = (f"its time zone is known ({best['zone']}), while the zone of "
                   f"{other['source']} was assumed")
        elif best["granularity"] != other["granularity"]:
            why = (f"it is precise to {_gran_word(best['granularity'])}, {other['source']} "
                   f"only to {_gran_word(other['granularity'])}")
        elif best["utc"] == other["utc"]:
            why = "the others give the same time (the first by source name and exhibit is shown)"
        else:
            why = ("the claims are equally good, so the first by source name, plugin and "
                   "exhibit is taken")
        n = len(claims) - 1
        text = f"{head} chosen over {n} other claim{'s' if n > 1 else ''}: {why}."
    if best["meaning"] == "filed":
        text += " Only file system times are known: they tell when a file was copied or saved, not when the fact happened."
    elif best["confidence"] == "low":
        text += " The chosen time has low confidence."
    if disagree:
        text += " Other claims of the same kind disagree by more than 2 minutes: see the claims."
    return text


def _near_pictures(entries: list[dict]) -> list[tuple[int, int]]:
    """Pairs (i < j) of picture entries with perceptual hashes within
    PHASH_MAX_DISTANCE bits, sorted.

    Each hash is cut into PHASH_MAX_DISTANCE + 1 bands: two hashes that differ
    in at most that many bits agree on at least one band (pigeonhole), so only
    entries sharing a band are compared, instead of every pair.
    """
    bands: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for i, e in enumerate(entries):
        if e["kind"] in ("photo", "screenshot"):
            for h in e["_phashes"]:
                width = max(1, len(h) // (PHASH_MAX_DISTANCE + 1))
                for b in range(0, len(h), width):
                    bands[(len(h), b, h[b:b + width])].append(i)
    candidates = {(i, j) for members in bands.values() for n, i in enumerate(members)
                  for j in members[n + 1:] if i != j}
    pairs = []
    for i, j in sorted({(min(p), max(p)) for p in candidates}):
        if any((d := _phash_distance(x, y)) is not None and d <= PHASH_MAX_DISTANCE
               for x in entries[i]["_phashes"] for y in entries[j]["_phashes"]):
            pairs.append((i, j))
    return pairs


def _phash_distance(a: str, b: str) -> int | None:
    try:
        if len(a) != len(b):
            return None
        return bin(int(a, 16) ^ int(b, 16)).count("1")
    except ValueError:
        return None


# --------------------------------------------------------------------------- events

@dataclass
class _Event:
    exhibit: str
    idx: int
    key: str
    plugin: str
    plugin_version: str
    kind: str
    what: str
    who: str
    to: list[str]
    category: str
    witnesses: list[str]
    flags: list[str]
    facts: dict
    claims: list[dict]
    override: dict
    message: str = ""
    phashes: list[str] = field(default_factory=list)
    best: dict | None = None

    @property
    def order(self) -> tuple[str, int]:
        return (self.exhibit, self.idx)

    @property
    def ref(self) -> str:
        """How curation records name this event (intake/curation.py)."""
        return event_ref(self.key, self.idx)


def _claim(raw: Mapping[str, Any], ev: dict, zone: str) -> tuple[dict | None, str]:
    """A resolved, normalised claim with its provenance, or (None, flag)."""
    c = {k: raw.get(k) for k in CLAIM_FIELDS}
    c["flags"] = _strings(raw.get("flags"))
    for k in ("local", "source", "meaning", "zone", "note"):
        c[k] = _text(c[k])
    c["granularity"] = _text(c["granularity"]) or "second"
    c["confidence"] = _text(c["confidence"]) or "high"
    try:
        if not c["utc"] or not c["offset"] or not c["zone"]:
            resolved = resolve(claim_from_plain({**c, "flags": c["flags"], "utc": None}), zone)
            c.update(utc=resolved.utc, offset=resolved.offset, zone=resolved.zone,
                     flags=list(resolved.flags))
        c["utc"] = format_utc(parse_instant(_text(c["utc"])))
        c["offset"] = _text(c["offset"])
    except (BadTimeClaim, ValueError, TypeError):
        return None, "unreadable-time-claim"
    c.update(ev)
    return c, ""


def _events(record: Mapping[str, Any], zone: str) -> list[_Event]:
    ext = record.get("extraction") or {}
    sha = record["sha256"]
    plugin, version = _text(ext.get("plugin")), _text(ext.get("version"))
    overrides = record.get("overrides") or {}
    item_facts = _plain(ext.get("facts") or {})
    out = []
    for idx, raw in enumerate(ext.get("events") or ()):
        key = _text(raw.get("key"))
        kind = _text(raw.get("kind")) or "file"
        facts = _plain(raw.get("facts") or {})
        if not isinstance(facts, dict):
            facts = {"value": facts}
        if kind in ("photo", "screenshot", "letter") and isinstance(item_facts, dict):
            facts = {**item_facts, **facts}
        flags = _strings(raw.get("flags"))
        claims = []
        prov = {"plugin": plugin, "plugin_version": version, "exhibit": sha}
        for rc in raw.get("claims") or ():
            c, bad = _claim(rc, prov, zone)
            if c is None:
                flags.append(bad)
            else:
                claims.append(c)
        witnesses = _strings(raw.get("witnesses"))
        if not witnesses and isinstance(facts.get("witnesses"), list):
            for w in facts["witnesses"]:
                if isinstance(w, Mapping):
                    name, contact = _text(w.get("name")), _text(w.get("contact"))
                    witnesses.append(f"{name} ({contact})" if name and contact else name or contact)
                elif _text(w):
                    witnesses.append(_text(w))
        phashes = []
        for src in (facts, item_facts):
            if isinstance(src, Mapping) and isinstance(src.get("phash"), str) and src["phash"]:
                phashes.append(src["phash"].lower())
        ov = overrides.get(key) if key else None
        out.append(_Event(
            exhibit=sha, idx=idx, key=key, plugin=plugin, plugin_version=version, kind=kind,
            what=_text(raw.get("summary")), who=_text(raw.get("who")), to=_strings(raw.get("to")),
            category=_text(raw.get("category")), witnesses=[w for w in witnesses if w],
            flags=flags, facts=facts, claims=claims,
            override=dict(ov) if isinstance(ov, Mapping) else {}, phashes=_unique(phashes),
            message=_text(raw.get("message")),
        ))
    for ev in out:
        if ev.claims:
            ev.best = min(ev.claims, key=lambda c, k=ev.kind: claim_preference(k, c))
    return out


def _norm_number(number: Any) -> str:
    """E.164 where the number is one (0468…, 0032 468…, +32 468… alike), else its digits."""
    return same_number_key(_text(number))


def _merge_key(ev: _Event) -> tuple | None:
    """Events with the same merge key (from different items) are one fact."""
    f = ev.facts
    if ev.kind == "email":
        mid = _text(f.get("message_id")).strip().strip("<>").strip()
        return ("email", mid) if mid else None
    if ev.kind in ("sms", "mms", "call") and ev.best is not None:
        instant = _micros(parse_instant(ev.best["utc"]))
        extra = f.get("duration_seconds") if ev.kind == "call" else f.get("body")
        return (ev.kind, _norm_number(f.get("number")), _text(f.get("direction")), instant,
                json.dumps(_plain(extra), sort_keys=True))
    return None


def _group(events: list[_Event]) -> list[list[_Event]]:
    """Merge events that are the same fact. Two events of the same item are never
    merged: the n-th duplicate in one item joins the n-th duplicate in another."""
    buckets: dict[tuple, list[_Event]] = defaultdict(list)
    groups: list[list[_Event]] = []
    for ev in sorted(events, key=lambda e: e.order):
        key = _merge_key(ev)
        if key is None:
            groups.append([ev])
        else:
            buckets[key].append(ev)
    for key in sorted(buckets, key=lambda k: json.dumps(k)):
        seen: dict[str, int] = defaultdict(int)
        subs: list[list[_Event]] = []
        for ev in buckets[key]:  # already in (exhibit, idx) order
            n = seen[ev.exhibit]
            seen[ev.exhibit] += 1
            if n == len(subs):
                subs.append([])
            subs[n].append(ev)
        groups.extend(subs)
    return groups


#: Derived items that take the time of the message they belong to.
MESSAGE_MEDIA_RELATIONS = ("zip-member", "mms-part")


def _message_times(events: list[_Event], by_sha: Mapping[str, Mapping[str, Any]]) -> None:
    """A chat or MMS media file gets the time of the message it is attached to.

    The claim is the message's chosen claim, with the message's exhibit and
    plugin as provenance and a source that says so; the media's own claims
    (EXIF, its name) stay beside it, and the usual rules choose.
    """
    by_key = {(ev.exhibit, ev.key): ev for ev in events if ev.key}
    for ev in events:
        found = []
        for p in by_sha[ev.exhibit].get("parents") or ():
            if not isinstance(p, Mapping) or _text(p.get("relation")) not in \
                    MESSAGE_MEDIA_RELATIONS:
                continue
            parent = by_key.get((_text(p.get("sha256")), _text(p.get("event_key"))))
            if parent is not None and parent.best is not None and parent is not ev:
                found.append(parent)
        for parent in sorted(found, key=lambda e: e.order):
            best = parent.best
            ev.claims.append({
                **best,
                "source": f"the message it is attached to ({best['source']})",
                "note": f"the time of {parent.kind} {parent.key} that names this file"
                        + (f"; {best['note']}" if best["note"] else ""),
            })
        if found:
            ev.best = min(ev.claims, key=lambda c, k=ev.kind: claim_preference(k, c))


def _base_name(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1].strip().casefold()


def _logbook_links(entries: list[dict], by_sha: Mapping[str, Mapping[str, Any]]) -> None:
    """Links a logbook entry makes by what it writes: the entry it replaces
    (``Vervangt:``/``--replaces``, relation ``correction``, the old one flagged
    ``superseded``) and the files it names (``Bewijs:``/``--exhibit``,
    relation ``logbook-exhibit``, to the entry read from that file)."""
    logbook = [e for e in entries if e["kind"] == "logbook"]
    by_id: dict[str, list[dict]] = defaultdict(list)
    for e in logbook:
        by_id[_text(e["facts"].get("entry_id")).strip()].append(e)
    by_name: dict[str, set[str]] = defaultdict(set)
    for sha, rec in by_sha.items():
        for name in _strings(rec.get("names")):
            by_name[_base_name(name)].add(sha)
    first_of: dict[str, dict] = {}
    for e in entries:  # numbered order: the first entry read from each exhibit
        for src in e["sources"]:
            first_of.setdefault(src["exhibit"], e)

    def link(a: dict, b: dict, relation: str) -> None:
        if a is b:
            return
        for x, y in ((a, b), (b, a)):
            new = {"relation": relation, "entry": y["number"]}
            if new not in x["links"]:
                x["links"].append(new)

    for e in logbook:
        old_id = _text(e["facts"].get("supersedes")).strip()
        if old_id:
            olds = [o for o in by_id.get(old_id, ()) if o is not e]
            if not olds:
                e["flags"] = sorted({*e["flags"], "replaced-entry-not-found"})
            for old in olds:
                old["flags"] = sorted({*old["flags"], "superseded"})
                link(e, old, "correction")
        missing = False
        for name in _strings(e["facts"].get("exhibits")):
            shas = sorted(by_name.get(_base_name(name), ()))
            targets = [first_of[s] for s in shas if s in first_of]
            missing |= not targets
            for target in targets:
                link(e, target, "logbook-exhibit")
        if missing:
            e["flags"] = sorted({*e["flags"], "named-exhibit-not-found"})


# --------------------------------------------------------------------------- entries

def _entry(group: list[_Event], children: Mapping[str, list[tuple[str, str]]],
           event_count: Mapping[str, int], zone: str,
           curated: Mapping[tuple[str, str], list[dict]]) -> dict:
    group = sorted(group, key=lambda e: (e.exhibit, e.plugin, e.key, e.idx))
    first = group[0]
    claims = [c for ev in group for c in ev.claims]
    claims.sort(key=lambda c: claim_preference(first.kind, c))
    flags = [f for ev in group for f in ev.flags]
    disagree = False
    entry: dict[str, Any] = {"kind": first.kind}
    if claims:
        best = claims[0]
        disagree = any(c["meaning"] == best["meaning"] and not _one_period(best, c)
                       and _disagree(best, c) for c in claims[1:])
        moment = parse_instant(best["utc"])
        offset = best["offset"]
        if best["zone"] == "utc" or not offset:
            offset = format_offset(moment.astimezone(ZoneInfo(zone)).utcoffset())
        entry["instant"] = format_utc(moment)
        entry["local"] = local_with_offset(entry["instant"], offset)
        entry["granularity"] = best["granularity"]
        flags += best["flags"]
        if best["meaning"] == "filed" or best["confidence"] == "low":
            flags.append("low-confidence-time")
        if disagree:
            flags.append("claims-disagree")
    else:
        entry.update(instant=None, local=None, granularity=None)
    category = ""
    for ev in group:
        if "category" in ev.override:
            category = _text(ev.override["category"])
            break
    else:
        category = next((ev.category for ev in group if ev.category), "")
    entry_id = source_id(first.exhibit, first.ref)
    curation = fold_entry([r for ev in group for r in curated.get((ev.exhibit, ev.ref), ())]
                          + list(curated.get(("id", entry_id), ())))
    if "category" in curation:  # the adviser's latest word on the kind of behaviour
        category = curation.pop("category")
    facts: dict = {}
    for ev in group:
        for k, v in ev.facts.items():
            facts.setdefault(k, v)
    exhibits = [ev.exhibit for ev in group]
    for ev in group:
        for child, ekey in children.get(ev.exhibit, ()):
            if ekey == ev.key if ekey else event_count.get(ev.exhibit, 0) == 1:
                exhibits.append(child)
    entry.update(
        id=entry_id, curation=curation,
        what=first.what, message=first.message, who=first.who, to=first.to,
        category=category,
        witnesses=_unique(w for ev in group for w in ev.witnesses),
        flags=sorted(set(flags)), facts=facts,
        claims=[{**c, "chosen": i == 0} for i, c in enumerate(claims)],
        chosen_because=_because(first.kind, claims, disagree),
        exhibits=_unique(exhibits),
        sources=[{"exhibit": ev.exhibit, "plugin": ev.plugin, "plugin_version": ev.plugin_version,
                  "event_key": ev.key} for ev in group],
        links=[],
    )
    entry["_order"] = (first.kind, first.exhibit, first.key, first.idx)
    entry["_phashes"] = _unique(p for ev in group for p in ev.phashes)
    return entry


def _local_date(instant: str, zone: str) -> date:
    return parse_instant(instant).astimezone(ZoneInfo(zone)).date()


def exhibit_ranks(shas: Iterable[str], parents: Mapping[str, list[str]],
                  entries: Iterable[Mapping[str, Any]]) -> dict[str, int | None]:
    """For each exhibit, the first entry number that cites it or, failing that,
    any item inside it (attachments, zip members); None if there is none."""
    shas = list(shas)
    cited: dict[str, int] = {}
    for e in entries:
        for sha in e.get("exhibits", ()):
            if sha not in cited or e["number"] < cited[sha]:
                cited[sha] = e["number"]
    kids: dict[str, set[str]] = defaultdict(set)
    for sha in shas:
        for p in parents.get(sha, ()):
            kids[p].add(sha)
    ranks: dict[str, int | None] = {}
    for sha in shas:
        best = cited.get(sha)
        if best is None:
            todo, seen = list(kids.get(sha, ())), {sha}
            while todo:
                k = todo.pop()
                if k in seen:
                    continue
                seen.add(k)
                r = cited.get(k)
                if r is not None and (best is None or r < best):
                    best = r
                todo.extend(kids.get(k, ()))
        ranks[sha] = best
    return ranks


@dataclass
class _Item:
    """What the chronology keeps of one item record: its events, its exhibit
    fields (without number and label) and its links to parents. `get` answers
    for the record's "parents" and "names", as the record did."""

    events: list[_Event]
    exhibit: dict
    parents: list[dict]  # {"sha256", "event_key", "relation"}, texts

    def get(self, key: str, default: Any = None) -> Any:
        if key == "parents":
            return self.parents
        if key == "names":
            return self.exhibit["names"]
        return default


def _item(record: Mapping[str, Any], zone: str) -> _Item:
    links = [{"sha256": _text(p["sha256"]), "event_key": _text(p.get("event_key")),
              "relation": _text(p.get("relation"))}
             for p in record.get("parents") or ()
             if isinstance(p, Mapping) and p.get("sha256")]
    exhibit = _exhibit(record, 0)
    del exhibit["number"], exhibit["label"]
    return _Item(_events(record, zone), exhibit, links)


def _item_key(item: _Item) -> str:
    """Which of several differing records of one item wins: the least by this key,
    so the result never depends on the order of the input."""
    return json.dumps(dataclasses.asdict(item), sort_keys=True, default=str)


def _exhibit(record: Mapping[str, Any], number: int) -> dict:
    parents = record.get("parents") or ()
    return {
        "number": number,
        "label": f"A{number}",
        "sha256": record["sha256"],
        "sha512": _text(record.get("sha512")),
        "md5": _text(record.get("md5")),
        "size": int(record.get("size") or 0),
        "mime": _text(record.get("mime")),
        "names": sorted(set(_strings(record.get("names")))),
        "parents": sorted({_text(p.get("sha256")) for p in parents
                           if isinstance(p, Mapping) and p.get("sha256")}),
        "warnings": sorted(set(_strings(record.get("warnings")))),
    }


def entry_hash(entry: Mapping[str, Any], checked: bool = False) -> str:
    """SHA-256 of the canonical JSON of the entry without its entry_hash."""
    return sha256_hex(canonical_bytes({k: v for k, v in entry.items() if k != "entry_hash"},
                                      checked=checked))


def root_hash(doc: Mapping[str, Any], checked: bool = False) -> str:
    """SHA-256 of the canonical JSON of the document without root_hash."""
    return sha256_hex(canonical_bytes({k: v for k, v in doc.items() if k != "root_hash"},
                                      checked=checked))


def seal(doc: dict) -> dict:
    """Fill in prev_hash, entry_hash, chain_head, merkle_root and root_hash."""
    prev = ZERO_HASH
    entries = list(doc["entries"]) + list(doc["undated"])
    for e in entries:
        e.pop("entry_hash", None)
        e["prev_hash"] = prev  # a hex string: does not change what is_fast says
    checked = is_fast(doc)  # one walk over everything, instead of one per hash
    for e in entries:
        e["prev_hash"] = prev
        e["entry_hash"] = prev = entry_hash(e, checked)
    leaves = [bytes.fromhex(e["entry_hash"]) for e in entries]
    doc["chain_head"] = prev
    doc["merkle_root"] = merkle_root(leaves).hex()
    doc.pop("root_hash", None)
    doc["root_hash"] = root_hash(doc, checked)
    return doc


def build_chronology(records: Iterable[Mapping[str, Any]], *, case: Mapping[str, Any],
                     tool_version: str, date_from: str | None = None,
                     date_to: str | None = None,
                     curation: Iterable[Mapping[str, Any]] = ()) -> dict:
    """The chronology document (docs/chronology-format.md) from item records and the
    adviser's curation records (``Index.curation_records()``, each with its ``seq``)."""
    curation = list(curation)
    curated = entry_states(curation)
    persons = fold_persons(curation)
    zone = _text(case.get("timezone")) or "Europe/Brussels"
    ZoneInfo(zone)  # fail early on an unknown zone
    d_from = date.fromisoformat(date_from) if date_from else None
    d_to = date.fromisoformat(date_to) if date_to else None

    # One record per item, whatever the order or repetition of the input. Each
    # record is reduced as it streams in to what the chronology uses (`_Item`):
    # the records of a big case (plugin runs, derived lists) no longer sit in
    # memory all at once (issue 9, point 10).
    copies: dict[str, list[_Item]] = defaultdict(list)
    for rec in records:
        copies[rec["sha256"]].append(_item(rec, zone))
    by_sha: dict[str, _Item] = {
        sha: items[0] if len(items) == 1 else min(items, key=_item_key)
        for sha, items in copies.items()}
    del copies
    shas = sorted(by_sha)
    parents = {s: sorted({p["sha256"] for p in by_sha[s].parents}) for s in shas}
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for s in shas:
        for p in by_sha[s].parents:
            children[p["sha256"]].append((s, p["event_key"]))
    for v in children.values():
        v.sort()

    events: list[_Event] = []
    event_count: dict[str, int] = {}
    for s in shas:
        evs = by_sha[s].events
        by_sha[s].events = []
        event_count[s] = len(evs)
        events += evs
    _message_times(events, by_sha)

    built = [_entry(g, children, event_count, zone, curated) for g in _group(events)]
    for e in built:
        e["persons"] = match_persons(e, persons)
    dated = [e for e in built if e["instant"] is not None]
    undated = [e for e in built if e["instant"] is None]
    # Exhibits whose family has any entry at all, before the period filter.
    all_ranks = exhibit_ranks(shas, parents, [{**e, "number": 0} for e in built])

    if d_from or d_to:
        def inside(e: dict) -> bool:
            d = _local_date(e["instant"], zone)
            return (d_from is None or d >= d_from) and (d_to is None or d <= d_to)
        dated = [e for e in dated if inside(e)]

    dated.sort(key=lambda e: (_micros(parse_instant(e["instant"])),) + e["_order"])
    undated.sort(key=lambda e: e["_order"])
    entries = dated + undated
    for n, e in enumerate(entries, 1):
        e["number"] = n

    # Links: the same picture in several items (re-saved, re-compressed copies).
    for i, j in _near_pictures(entries):
        a, b = entries[i], entries[j]
        if set(a["exhibits"]) & set(b["exhibits"]):
            continue
        rel = "same-screenshot" if "screenshot" in (a["kind"], b["kind"]) else "same-image"
        a["links"].append({"relation": rel, "entry": b["number"]})
        b["links"].append({"relation": rel, "entry": a["number"]})

    # Links by text: a message and the screenshot that shows it, a letter and its photo.
    for i, j, rel in text_links(entries):
        a, b = entries[i], entries[j]
        if set(a["exhibits"]) & set(b["exhibits"]):
            continue
        a["links"].append({"relation": rel, "entry": b["number"]})
        b["links"].append({"relation": rel, "entry": a["number"]})

    _logbook_links(entries, by_sha)

    # Exhibits: items related to a kept entry, plus items related to no entry at all.
    ranks = exhibit_ranks(shas, parents, entries)
    keep = [s for s in shas if ranks[s] is not None or all_ranks[s] is None]
    keep.sort(key=lambda s: (ranks[s] is None, ranks[s] or 0, s))
    numbers = {s: i for i, s in enumerate(keep, 1)}
    exhibits = [{"number": numbers[s], "label": f"A{numbers[s]}", **by_sha[s].exhibit}
                for s in keep]

    for e in entries:
        e["exhibits"] = sorted(e["exhibits"], key=lambda s: (numbers.get(s, 0), s))
        e["links"] = sorted(e["links"], key=lambda link: (link["entry"], link["relation"]))
        del e["_order"], e["_phashes"]

    doc = {
        "format": FORMAT,
        "case": {"name": _text(case.get("name")) or "case", "timezone": zone,
                 "language": _text(case.get("language")) or "nl"},
        "tool": {"name": "intake", "version": tool_version},
        "period": {"from": date_from, "to": date_to},
        "persons": persons,
        "exhibits": exhibits,
        "entries": dated,
        "undated": undated,
    }
    return seal(doc)


# --------------------------------------------------------------------------- proofs

def all_entries(doc: Mapping[str, Any]) -> list[dict]:
    """Dated entries then undated ones: the order of the chain and the Merkle tree."""
    return list(doc.get("entries") or []) + list(doc.get("undated") or [])


def inclusion_proof_for(doc: Mapping[str, Any], entry_number: int) -> dict:
    """A proof that one entry belongs to the chronology, checkable with only
    the chronology's merkle_root (the other entries stay undisclosed)."""
    entries = all_entries(doc)
    index = next((i for i, e in enumerate(entries) if e.get("number") == entry_number), None)
    if index is None:
        raise KeyError(f"the chronology has no entry {entry_number}")
    leaves = [bytes.fromhex(e["entry_hash"]) for e in entries]
    return {
        "format": PROOF_FORMAT,
        "entry": copy.deepcopy(entries[index]),
        "index": index,
        "size": len(entries),
        "proof": [p.hex() for p in inclusion_proof(index, leaves)],
        "merkle_root": doc["merkle_root"],
    }


def verify_proof(proof_doc: Mapping[str, Any]) -> list[str]:
    """Problems with an inclusion proof, in plain words; empty = it holds."""
    try:
        entry = proof_doc["entry"]
        index, size = proof_doc["index"], proof_doc["size"]
        number = entry.get("number")
        where = f"entry {number}"
        problems = []
        if number != index + 1:
            problems.append(f"{where}: its number does not match its position {index + 1}.")
        actual = entry_hash(entry)
        if actual != entry.get("entry_hash"):
            problems.append(f"{where}: its contents do not match its entry_hash: "
                            "it was changed after the chronology was made.")
        proof = [bytes.fromhex(p) for p in proof_doc["proof"]]
        root = bytes.fromhex(proof_doc["merkle_root"])
        if not verify_inclusion(index, size, bytes.fromhex(actual), proof, root):
            problems.append(f"{where}: the proof does not lead to merkle_root "
                            f"{proof_doc['merkle_root']}: the entry is not part of that "
                            "chronology as shown.")
        return problems
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"the proof is incomplete or malformed ({exc.__class__.__name__}: {exc})."]
